import Testing

@testable import Routing

func window(_ name: String, _ weekdays: [Int], _ start: Int, _ end: Int) -> TimeClassWindow {
  TimeClassWindow(name: name, weekdays: weekdays, startMinute: start, endMinute: end)!
}

@Suite struct TimeClassTests {
  @Test(arguments: [
    ([1, 2, 3, 4, 5], 480, 1080, UInt8(0b0011111)),
    ([6, 7], 0, 1440, 0b1100000),
    ([7], 0, 1, 0b1000000),
    ([1], 1439, 1440, 0b0000001),
    ([3, 3], 0, 60, 0b0000100),
  ])
  func validWindows(weekdays: [Int], start: Int, end: Int, bits: UInt8) throws {
    let made = try #require(
      TimeClassWindow(name: "c", weekdays: weekdays, startMinute: start, endMinute: end))
    #expect(made.weekdays == bits)
    #expect(made.startMinute == start)
    #expect(made.endMinute == end)
  }

  @Test(arguments: [
    ([Int](), 0, 60),
    ([0], 0, 60),
    ([8], 0, 60),
    ([1, 8], 0, 60),
    ([-1], 0, 60),
    ([1], -1, 60),
    ([1], 1440, 1441),
    ([1], 0, 0),
    ([1], 0, 1441),
    ([1], 600, 600),
    ([1], 600, 599),
  ])
  func invalidWindows(weekdays: [Int], start: Int, end: Int) {
    #expect(TimeClassWindow(name: "c", weekdays: weekdays, startMinute: start, endMinute: end) == nil)
  }

  /// `contains` is half-open on minutes and checks the weekday.
  @Test(arguments: [
    (1, 479, false),
    (1, 480, true),
    (5, 1079, true),
    (5, 1080, false),
    (6, 600, false),
    (7, 600, false),
    (3, 0, false),
    (3, 720, true),
  ])
  func peakContains(weekday: Int, minute: Int, expected: Bool) {
    // Day 4 (1970-01-05) was a Monday: weekday w is day w + 3.
    let time = LocalTime(localSeconds: Int64(weekday + 3) * 86_400 + Int64(minute) * 60)
    #expect(time.weekday == weekday)
    #expect(time.minuteOfDay == minute)
    #expect(window("peak", [1, 2, 3, 4, 5], 480, 1080).contains(time) == expected)
  }

  @Test(arguments: [
    (window("a", [1], 0, 600), window("b", [1], 599, 700), true),
    (window("a", [1], 0, 600), window("b", [1], 600, 700), false),
    (window("a", [1, 2], 0, 600), window("b", [2, 3], 300, 301), true),
    (window("a", [1, 2], 0, 600), window("b", [3, 4], 0, 600), false),
    (window("a", [1, 2, 3, 4, 5], 480, 1080), window("b", [1, 2, 3, 4, 5], 0, 480), false),
    (window("a", [1, 2, 3, 4, 5], 480, 1080), window("b", [1, 2, 3, 4, 5], 1080, 1440), false),
    (window("a", [1, 2, 3, 4, 5], 480, 1080), window("b", [5, 6], 1079, 1440), true),
    (window("a", [7], 0, 1440), window("b", [7], 700, 701), true),
  ])
  func overlaps(first: TimeClassWindow, second: TimeClassWindow, expected: Bool) {
    #expect(first.overlaps(second) == expected)
    #expect(second.overlaps(first) == expected)
  }
}
