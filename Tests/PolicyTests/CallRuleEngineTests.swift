import Testing

@testable import Policy

/// The call-rule engine (docs/dids.md): every rule type, priority, schedules
/// (across midnight), on-net chains and loops. Local times are given as
/// wall clocks; the owner's time zone and daylight saving are turned into
/// them by the proxy (`CallRuleClockTests` in ProxyTests).
@Suite struct CallRuleEngineTests {
  static let monday9 = WallClock(weekday: 1, minuteOfDay: 9 * 60)

  static func rule(
    _ id: String, _ kind: CallRule.Kind, to: String? = "15551234", timeout: Int? = nil,
    schedule: CallRuleSchedule? = nil, priority: Int = 1
  ) -> CallRule {
    CallRule(
      id: id, phoneNumberID: "1", kind: kind, forwardTo: to.flatMap(CallForwardTarget.init),
      timeoutSeconds: timeout, schedule: schedule, priority: priority)
  }

  static func forward(_ id: String, _ number: String = "15551234") -> CallRuleEngine.Forward {
    CallRuleEngine.Forward(ruleID: id, target: .number(number))
  }

  @Test func noRulesRingsOrIsUnavailable() {
    #expect(CallRuleEngine.decide([], at: Self.monday9, registered: true) == .ring(.init()))
    #expect(
      CallRuleEngine.decide([], at: Self.monday9, registered: false)
        == .refuse(status: 480, reason: "Temporarily Unavailable"))
  }

  @Test func doNotDisturbRefusesWhetherOrNotRegistered() {
    let rules = [Self.rule("1", .doNotDisturb, to: nil)]
    for registered in [true, false] {
      #expect(
        CallRuleEngine.decide(rules, at: Self.monday9, registered: registered)
          == .refuse(status: 486, reason: "Do Not Disturb"))
    }
  }

  @Test func forwardAlwaysForwardsAtOnce() {
    let rules = [Self.rule("1", .forwardAlways)]
    #expect(CallRuleEngine.decide(rules, at: Self.monday9, registered: true) == .forward(Self.forward("1")))
  }

  @Test func forwardUnavailableForwardsOnlyWithoutBinding() {
    let rules = [Self.rule("1", .forwardUnavailable)]
    #expect(CallRuleEngine.decide(rules, at: Self.monday9, registered: false) == .forward(Self.forward("1")))
    #expect(
      CallRuleEngine.decide(rules, at: Self.monday9, registered: true)
        == .ring(.init(onUnavailable: Self.forward("1"))))
  }

  @Test func busyAndNoAnswerAreFallbacksOfARingingCall() {
    let rules = [
      Self.rule("1", .forwardBusy, to: "1555000"), Self.rule("2", .forwardNoAnswer, timeout: 15, priority: 2),
      Self.rule("3", .forwardNoAnswer, to: "1999", timeout: 5, priority: 3),
    ]
    #expect(
      CallRuleEngine.decide(rules, at: Self.monday9, registered: true)
        == .ring(
          .init(onBusy: Self.forward("1", "1555000"), onNoAnswer: Self.forward("2"), noAnswerSeconds: 15)))
    // Without a binding neither applies: 480.
    #expect(
      CallRuleEngine.decide(rules, at: Self.monday9, registered: false)
        == .refuse(status: 480, reason: "Temporarily Unavailable"))
  }

  @Test func noAnswerWithoutTimeoutTakesTheDefault() {
    let decision = CallRuleEngine.decide(
      [Self.rule("1", .forwardNoAnswer)], at: Self.monday9, registered: true)
    #expect(
      decision
        == .ring(.init(onNoAnswer: Self.forward("1"), noAnswerSeconds: CallRule.defaultNoAnswerSeconds)))
  }

  @Test func priorityDecidesBetweenImmediateRules() {
    let dndFirst = [Self.rule("2", .forwardAlways, priority: 2), Self.rule("1", .doNotDisturb, to: nil)]
      .sorted(by: CallRule.precedes)
    #expect(
      CallRuleEngine.decide(dndFirst, at: Self.monday9, registered: true)
        == .refuse(status: 486, reason: "Do Not Disturb"))
    let forwardFirst = [Self.rule("1", .doNotDisturb, to: nil, priority: 5), Self.rule("2", .forwardAlways)]
      .sorted(by: CallRule.precedes)
    #expect(
      CallRuleEngine.decide(forwardFirst, at: Self.monday9, registered: true) == .forward(Self.forward("2")))
    // Equal priorities: the lower id first (numerically).
    let tie = [Self.rule("10", .doNotDisturb, to: nil), Self.rule("9", .forwardAlways)]
      .sorted(by: CallRule.precedes)
    #expect(CallRuleEngine.decide(tie, at: Self.monday9, registered: true) == .forward(Self.forward("9")))
  }

  @Test func scheduleLimitsWhenARuleApplies() {
    let office = CallRuleSchedule(windows: [.init(days: [1, 2, 3, 4, 5], startMinute: 540, endMinute: 1020)])
    let rules = [Self.rule("1", .doNotDisturb, to: nil, schedule: office)]
    let dnd = CallRuleEngine.Decision.refuse(status: 486, reason: "Do Not Disturb")
    #expect(
      CallRuleEngine.decide(rules, at: WallClock(weekday: 1, minuteOfDay: 540), registered: true) == dnd)
    #expect(
      CallRuleEngine.decide(rules, at: WallClock(weekday: 5, minuteOfDay: 1019), registered: true) == dnd)
    // End exclusive, start inclusive; weekends out.
    #expect(
      CallRuleEngine.decide(rules, at: WallClock(weekday: 1, minuteOfDay: 1020), registered: true)
        == .ring(.init()))
    #expect(
      CallRuleEngine.decide(rules, at: WallClock(weekday: 1, minuteOfDay: 539), registered: true)
        == .ring(.init()))
    #expect(
      CallRuleEngine.decide(rules, at: WallClock(weekday: 6, minuteOfDay: 600), registered: true)
        == .ring(.init()))
  }

  @Test func windowAcrossMidnightBelongsToItsStartDay() {
    // Friday 22:00 to Saturday 06:00, and Sunday 23:00 to Monday 01:00.
    let night = CallRuleSchedule(windows: [
      .init(days: [5], startMinute: 22 * 60, endMinute: 6 * 60),
      .init(days: [7], startMinute: 23 * 60, endMinute: 60),
    ])
    let open: [(Int, Int, Bool)] = [
      (5, 22 * 60, true), (5, 1439, true), (6, 0, true), (6, 359, true), (6, 360, false),
      (5, 21 * 60 + 59, false), (5, 60, false),  // Friday morning: Thursday has no window
      (7, 23 * 60, true), (1, 59, true), (1, 60, false), (6, 23 * 60, false),
    ]
    for (weekday, minute, expected) in open {
      #expect(night.applies(at: WallClock(weekday: weekday, minuteOfDay: minute)) == expected)
    }
  }

  @Test func scheduleShapeProblems() {
    #expect(CallRuleSchedule(windows: []).problem != nil)
    #expect(CallRuleSchedule(windows: [.init(days: [], startMinute: 0, endMinute: 60)]).problem != nil)
    #expect(CallRuleSchedule(windows: [.init(days: [8], startMinute: 0, endMinute: 60)]).problem != nil)
    #expect(CallRuleSchedule(windows: [.init(days: [1], startMinute: 60, endMinute: 60)]).problem != nil)
    #expect(CallRuleSchedule(windows: [.init(days: [1], startMinute: 0, endMinute: 1440)]).problem == nil)
    #expect(CallRuleSchedule.minutes("24:00") == 1440)
    #expect(CallRuleSchedule.minutes("09:30") == 570)
    for bad in ["24:01", "9:30", "09:60", "0930", "ab:cd", "-1:00", ""] {
      #expect(CallRuleSchedule.minutes(bad) == nil, "\(bad)")
    }
  }

  @Test func badRowsHaveProblems() {
    #expect(Self.rule("1", .forwardAlways, to: nil).problem != nil)
    #expect(Self.rule("1", .forwardNoAnswer, timeout: -5).problem != nil)
    #expect(Self.rule("1", .forwardNoAnswer, timeout: 0).problem != nil)
    #expect(Self.rule("1", .doNotDisturb, to: nil).problem == nil)
    #expect(CallForwardTarget("+1 (555) 123-4") == .number("15551234"))
    #expect(CallForwardTarget("sip:alice@example.com") == .uri("sip:alice@example.com"))
    for bad in ["", "12", "sip:nohost", "555abc", "++1555", "sip:a@b c"] {
      #expect(CallForwardTarget(bad) == nil, "\(bad)")
    }
  }

  static func did(_ id: String, _ number: String, user: String, _ rules: [CallRule] = []) -> DIDNumber {
    DIDNumber(id: id, number: number, userID: user, rules: rules)
  }

  static func route(_ first: DIDNumber, _ all: [DIDNumber], registered: Set<String> = [])
    -> CallRuleEngine.Route
  {
    CallRuleEngine.route(
      from: first, in: DIDDirectory(all), clock: { _ in Self.monday9 },
      registered: { registered.contains($0) })
  }

  @Test func forwardToAnOwnDIDFollowsItsRules() {
    let a = Self.did("1", "15550000001", user: "u1", [Self.rule("1", .forwardAlways, to: "+15550000002")])
    let b = Self.did("2", "15550000002", user: "u2")
    #expect(Self.route(a, [a, b], registered: ["u2"]) == .ring(b, .init()))
    let out = Self.did("3", "15550000003", user: "u3", [Self.rule("3", .forwardAlways, to: "4420000000")])
    #expect(Self.route(out, [out]) == .forward(out, Self.forward("3", "4420000000")))
  }

  @Test func forwardingLoopIsRefused() {
    let a = Self.did("1", "15550000001", user: "u1", [Self.rule("1", .forwardAlways, to: "15550000002")])
    let b = Self.did("2", "15550000002", user: "u2", [Self.rule("2", .forwardUnavailable, to: "15550000001")])
    #expect(Self.route(a, [a, b]) == .refuse(status: 482, reason: "Forwarding Loop"))
    // B has a device: no loop, B rings (and its fallback back to A is dropped).
    let ringing = Self.route(a, [a, b], registered: ["u2"])
    #expect(ringing == .ring(b, .init()))
    // A to itself.
    let selfLoop = Self.did("5", "1555", user: "u5", [Self.rule("5", .forwardAlways, to: "1555")])
    #expect(Self.route(selfLoop, [selfLoop]) == .refuse(status: 482, reason: "Forwarding Loop"))
  }

  @Test func longChainIsCut() {
    let numbers = (0...(CallRuleEngine.maxHops + 1)).map { index in
      Self.did(
        "\(index)", "1555000\(index)", user: "u\(index)",
        [Self.rule("\(index)", .forwardAlways, to: "1555000\(index + 1)")])
    }
    #expect(Self.route(numbers[0], numbers) == .refuse(status: 482, reason: "Forwarding Loop"))
  }

  @Test func numbersAreFoundWithOrWithoutPlus() {
    let directory = DIDDirectory([
      Self.did("1", "+15550001001", user: "u"),
      DIDNumber(id: "2", number: "15550009999", userID: "u", status: .released),
    ])
    #expect(directory.number("15550001001")?.id == "1")
    #expect(directory.number("+15550001001")?.id == "1")
    #expect(directory.number("5550001001") == nil)
    #expect(directory.number("15550009999")?.refusal?.status == 410)
    #expect(DIDNumber(id: "3", number: "1", userID: nil).refusal?.status == 480)
    #expect(DIDNumber(id: "3", number: "1", userID: "u", status: .porting).refusal?.status == 480)
  }

  @Test func utcClock() {
    // 2026-12-07 (a Monday) 12:30 UTC.
    #expect(DIDDirectory.utcClock(1_796_646_600_000) == WallClock(weekday: 1, minuteOfDay: 750))
    #expect(DIDDirectory.utcClock(0) == WallClock(weekday: 4, minuteOfDay: 0))
  }
}
