import SIPTransaction
import Testing

@Suite("TimerWheel")
struct TimerWheelTests {
  @Test("expire returns due payloads by deadline, ties by schedule order, deadline inclusive")
  func ordering() {
    let wheel = TimerWheel<String>(nowMs: 1000)
    wheel.schedule("c", afterMs: 300)
    wheel.schedule("a", afterMs: 100)
    wheel.schedule("b1", afterMs: 200)
    wheel.schedule("b2", afterMs: 200)
    wheel.schedule("b3", afterMs: 200)
    #expect(wheel.count == 5)
    #expect(wheel.nextDeadlineMs == 1100)
    #expect(wheel.expire(nowMs: 1099) == [])
    #expect(wheel.expire(nowMs: 1200) == ["a", "b1", "b2", "b3"])
    #expect(wheel.count == 1)
    #expect(wheel.nextDeadlineMs == 1300)
    #expect(wheel.expire(nowMs: 5000) == ["c"])
    #expect(wheel.count == 0)
    #expect(wheel.nextDeadlineMs == nil)
    #expect(wheel.expire(nowMs: 9000) == [])
  }

  @Test("cancelled timers never expire and leave the count; cancelling twice or late is harmless")
  func cancellation() {
    let wheel = TimerWheel<Int>(nowMs: 0)
    let first = wheel.schedule(1, afterMs: 10)
    let second = wheel.schedule(2, afterMs: 20)
    let third = wheel.schedule(3, afterMs: 30)
    #expect(Set([first, second, third]).count == 3)
    wheel.cancel(first)
    #expect(wheel.count == 2)
    #expect(wheel.nextDeadlineMs == 20)
    wheel.cancel(first)
    #expect(wheel.count == 2)
    #expect(wheel.expire(nowMs: 25) == [2])
    wheel.cancel(second)
    #expect(wheel.count == 1)
    wheel.cancel(TimerID(rawValue: 999))
    #expect(wheel.count == 1)
    #expect(wheel.expire(nowMs: 100) == [3])
  }

  @Test("zero and negative delays expire on the next expire, even at the same time")
  func immediate() {
    let wheel = TimerWheel<String>(nowMs: 500)
    wheel.schedule("later", afterMs: 1)
    wheel.schedule("zero", afterMs: 0)
    wheel.schedule("negative", afterMs: -50)
    #expect(wheel.nextDeadlineMs == 500)
    #expect(wheel.expire(nowMs: 500) == ["zero", "negative"])
    #expect(wheel.expire(nowMs: 501) == ["later"])
  }

  @Test("schedule after expire counts from the latest expire; the clock never goes back")
  func scheduleAfterExpire() {
    let wheel = TimerWheel<String>(nowMs: 0)
    wheel.schedule("first", afterMs: 100)
    #expect(wheel.expire(nowMs: 150) == ["first"])
    #expect(wheel.nowMs == 150)
    wheel.schedule("second", afterMs: 100)
    #expect(wheel.nextDeadlineMs == 250)
    #expect(wheel.expire(nowMs: 100) == [])
    #expect(wheel.nowMs == 150)
    #expect(wheel.expire(nowMs: 249) == [])
    #expect(wheel.expire(nowMs: 250) == ["second"])
  }

  @Test("a huge delay saturates instead of overflowing")
  func saturates() {
    let wheel = TimerWheel<Int>(nowMs: 10)
    wheel.schedule(1, afterMs: .max)
    #expect(wheel.nextDeadlineMs == .max)
    #expect(wheel.expire(nowMs: 1_000_000) == [])
    #expect(wheel.count == 1)
  }

  @Test("mass cancellation keeps the order of the survivors")
  func compaction() {
    let wheel = TimerWheel<Int>(nowMs: 0)
    var ids: [TimerID] = []
    for value in 0..<1000 {
      ids.append(wheel.schedule(value, afterMs: Int64(1000 - value)))
    }
    for (value, id) in ids.enumerated() where value % 10 != 0 {
      wheel.cancel(id)
    }
    #expect(wheel.count == 100)
    #expect(wheel.nextDeadlineMs == 10)
    let expired = wheel.expire(nowMs: 1000)
    #expect(expired == Array(stride(from: 990, through: 0, by: -10)))
    #expect(wheel.count == 0)
  }

  @Test("200,000 live timers: every live one expires once, in deadline order")
  func twoHundredThousand() {
    let total = 200_000
    let wheel = TimerWheel<Int>(nowMs: 0)
    var deadlines: [Int64] = []
    var ids: [TimerID] = []
    deadlines.reserveCapacity(total)
    ids.reserveCapacity(total)
    var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
    for value in 0..<total {
      seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      let delay = Int64((seed >> 33) % 64_000)
      deadlines.append(delay)
      ids.append(wheel.schedule(value, afterMs: delay))
    }
    #expect(wheel.count == total)
    var cancelled = Set<Int>()
    for value in stride(from: 0, to: total, by: 3) {
      wheel.cancel(ids[value])
      cancelled.insert(value)
    }
    let live = total - cancelled.count
    #expect(wheel.count == live)

    var seen = [Bool](repeating: false, count: total)
    var previous: (deadline: Int64, value: Int) = (-1, -1)
    var expiredCount = 0
    var early = 0
    var wrong = 0
    var twice = 0
    var outOfOrder = 0
    var countMismatches = 0
    var now: Int64 = 0
    while wheel.count > 0 && now < 100_000 {
      now += 1000
      for value in wheel.expire(nowMs: now) {
        let deadline = deadlines[value]
        if deadline > now { early += 1 }
        if cancelled.contains(value) { wrong += 1 }
        if seen[value] { twice += 1 }
        if deadline < previous.deadline || (deadline == previous.deadline && value < previous.value) {
          outOfOrder += 1
        }
        seen[value] = true
        previous = (deadline, value)
        expiredCount += 1
      }
      if wheel.count != live - expiredCount { countMismatches += 1 }
    }
    #expect(early == 0)
    #expect(wrong == 0)
    #expect(twice == 0)
    #expect(outOfOrder == 0)
    #expect(countMismatches == 0)
    #expect(expiredCount == live)
    #expect(wheel.nextDeadlineMs == nil)
  }

  @Test("timers driving a transaction: a restarted timer replaces the old one")
  func restart() {
    let wheel = TimerWheel<TransactionTimer>(nowMs: 0)
    var a = wheel.schedule(.A, afterMs: 500)
    wheel.schedule(.B, afterMs: 32_000)
    #expect(wheel.expire(nowMs: 500) == [.A])
    a = wheel.schedule(.A, afterMs: 1000)
    wheel.cancel(a)
    #expect(wheel.count == 1)
    #expect(wheel.expire(nowMs: 32_000) == [.B])
  }
}

@Suite("TimerWheel: turns of the wheel")
struct TimerWheelTurnTests {
  @Test("timers a turn or more away wait for their turn; a jump past a turn keeps the order")
  func laterTurns() {
    let wheel = TimerWheel<String>(nowMs: 0)
    wheel.schedule("next turn", afterMs: 65_536 + 5)
    wheel.schedule("this turn", afterMs: 5)
    wheel.schedule("two turns", afterMs: 2 * 65_536 + 5)
    #expect(wheel.expire(nowMs: 10) == ["this turn"])
    #expect(wheel.expire(nowMs: 65_540) == [])
    #expect(wheel.expire(nowMs: 65_541) == ["next turn"])
    // One jump over more than a turn: due timers in deadline order, then schedule order.
    wheel.schedule("b", afterMs: 70_000)
    wheel.schedule("a", afterMs: 1)
    wheel.schedule("b2", afterMs: 70_000)
    #expect(wheel.expire(nowMs: 1_000_000) == ["a", "two turns", "b", "b2"])
    #expect(wheel.count == 0)
  }

  @Test("a slot reused after a cancel does not revive the old timer; ids stay distinct")
  func reuse() {
    let wheel = TimerWheel<Int>(nowMs: 0)
    let old = wheel.schedule(1, afterMs: 10)
    wheel.cancel(old)
    let new = wheel.schedule(2, afterMs: 10)
    #expect(old != new)
    wheel.cancel(old)  // the old id names nothing now
    #expect(wheel.count == 1)
    #expect(wheel.expire(nowMs: 10) == [2])
  }
}

@Suite("TimerWheel slab compaction")
struct TimerWheelCompactionTests {
  @Test("after a burst the slab shrinks back; old ids and slot entries never touch new timers")
  func burstShrinks() {
    let wheel = TimerWheel<Int>(nowMs: 0)
    let keeper = wheel.schedule(-1, afterMs: 1_000_000)  // a long timer at the bottom of the slab
    var old: [TimerID] = []
    for value in 0..<10_000 { old.append(wheel.schedule(value, afterMs: 100 + Int64(value % 50))) }
    // Half cancelled (their slot entries stay until passed), half expired.
    for id in old.prefix(5_000) { wheel.cancel(id) }
    #expect(wheel.expire(nowMs: 1_000).count == 5_000)
    #expect(wheel.slabSize == 10_001)
    // A turn of the wheel later the free end of the slab is dropped.
    #expect(wheel.expire(nowMs: 70_000) == [])
    #expect(wheel.slabSize == 1)
    #expect(wheel.slabCapacity < 100)
    #expect(wheel.count == 1)
    // New timers reuse the dropped indices with new generations.
    var fresh: [TimerID] = []
    for value in 0..<100 { fresh.append(wheel.schedule(20_000 + value, afterMs: 10)) }
    for id in old { wheel.cancel(id) }
    #expect(wheel.count == 101)
    #expect(wheel.expire(nowMs: 70_010) == Array(20_000..<20_100))
    wheel.cancel(keeper)
    #expect(wheel.count == 0)
    #expect(fresh.count == 100)
  }

  @Test("a long-lived timer at the end of the slab keeps it; the free list then fills from the bottom")
  func liveTailStays() {
    let wheel = TimerWheel<Int>(nowMs: 0)
    for value in 0..<8_000 { wheel.schedule(value, afterMs: 10) }
    wheel.schedule(-1, afterMs: 1_000_000)
    #expect(wheel.expire(nowMs: 70_000).count == 8_000)
    #expect(wheel.slabSize == 8_001)
    let next = wheel.schedule(1, afterMs: 10)
    // The lowest free index is reused first.
    #expect(next.rawValue & 0xFFFF_FFFF == 0)
  }
}

@Suite("TimerWheel slot lists")
struct TimerWheelSlotListTests {
  @Test("cancelled far timers leave the slots and the slab at the next compaction, not a turn later")
  func cancelledFarTimers() {
    let wheel = TimerWheel<Int>(nowMs: 0)
    var ids: [TimerID] = []
    for value in 0..<10_000 { ids.append(wheel.schedule(value, afterMs: 200_000 + Int64(value))) }
    for id in ids { wheel.cancel(id) }
    #expect(wheel.slotCapacity >= 10_000)
    var now: Int64 = 0
    while now < 11_000 {
      now += 10
      #expect(wheel.expire(nowMs: now).isEmpty)
    }
    #expect(wheel.slotCapacity == 0)
    #expect(wheel.slabSize == 0)
    #expect(wheel.slabCapacity == 0)
    wheel.schedule(1, afterMs: 10)
    #expect(wheel.expire(nowMs: now + 10) == [1])
  }

  @Test("slots give their lists back once their timers are gone")
  func slotsEmptyAfterABurst() {
    let wheel = TimerWheel<Int>(nowMs: 0)
    for value in 0..<30_000 { wheel.schedule(value, afterMs: 1 + Int64(value % 60_000) * 2 % 60_000) }
    #expect(wheel.slotCapacity >= 30_000)
    var expired = 0
    var now: Int64 = 0
    while now < 61_000 {
      now += 10
      expired += wheel.expire(nowMs: now).count
    }
    #expect(expired == 30_000)
    #expect(wheel.slotCapacity == 0)
  }
}
