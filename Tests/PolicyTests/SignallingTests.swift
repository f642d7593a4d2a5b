import Testing

@testable import Policy

/// A mapping result as text: "486" or "480 No Answer".
private func rendered(_ result: (status: Int, reason: String?)) -> String {
  "\(result.status)" + (result.reason.map { " " + $0 } ?? "")
}

@Suite struct ReleaseCauseMappingTests {
  @Test(arguments: [nil, "", "  \n", "{}", " { } "] as [String?])
  func emptyIsIdentity(text: String?) throws {
    let mapping = try ReleaseCauseMapping(parsingJSON: text)
    #expect(mapping == .identity)
    #expect(rendered(mapping.map(503)) == "503")
  }

  static let mapping = """
    {"503": 486, "404": {"status": 480, "reason": "No Answer"}, "5xx": 502,
     "6XX": {"status": 486}, "302": 404}
    """

  @Test(
    arguments: [
      (503, 486, nil),  // exact key before the class
      (404, 480, "No Answer"),
      (500, 502, nil),  // "5xx"
      (599, 502, nil),
      (603, 486, nil),  // "6XX"
      (302, 404, nil),
      (486, 486, nil),  // no 4xx class: unchanged
      (301, 301, nil),
      (200, 200, nil),
      (180, 180, nil),
    ] as [(Int, Int, String?)])
  func maps(status: Int, expected: Int, reason: String?) throws {
    let result = try ReleaseCauseMapping(parsingJSON: Self.mapping).map(status)
    #expect(result.status == expected)
    #expect(result.reason == reason)
  }

  /// The text form PostgreSQL gives for jsonb: keys reordered, ": " and ", ", escapes.
  @Test func readsJsonbOutput() throws {
    let text = #"{"404": {"reason": "Not \"here\" \u00e9\ud83d\ude00\/", "status": 480}, "503": 486}"#
    let mapping = try ReleaseCauseMapping(parsingJSON: text)
    #expect(rendered(mapping.map(404)) == "480 Not \"here\" é😀/")
    #expect(rendered(mapping.map(503)) == "486")
  }

  @Test func repeatedKeyKeepsTheLastValue() throws {
    let mapping = try ReleaseCauseMapping(parsingJSON: #"{"503": 486, "503": 480}"#)
    #expect(rendered(mapping.map(503)) == "480")
  }

  @Test(arguments: [
    (#"{"503": 486"#, "release_cause_mapping: invalid JSON: unexpected end of text in an object at byte 11"),
    (#"{"503" 486}"#, "release_cause_mapping: invalid JSON: expected ':' at byte 7"),
    (#"{503: 486}"#, "release_cause_mapping: invalid JSON: expected a string key at byte 1"),
    (#"{"503": 486,}"#, "release_cause_mapping: invalid JSON: expected a string key at byte 12"),
    (#"{"503": 486} x"#, "release_cause_mapping: invalid JSON: unexpected text after the value at byte 13"),
    (#"{"503": 486.5}"#, "release_cause_mapping: invalid JSON: number is not an integer at byte 8"),
    (#"{"503": 0486}"#, "release_cause_mapping: invalid JSON: number with a leading zero at byte 8"),
    (
      #"{"503": true}"#,
      "release_cause_mapping: invalid JSON: only objects, strings and integers are allowed at byte 8"
    ),
    (
      #"[486]"#,
      "release_cause_mapping: invalid JSON: only objects, strings and integers are allowed at byte 0"
    ),
    (#"{"503": "x\q"}"#, #"release_cause_mapping: invalid JSON: invalid escape '\q' at byte 11"#),
    (#"{"503": "abc}"#, "release_cause_mapping: invalid JSON: unterminated string at byte 13"),
    (#"{"503": 1234567890123456789}"#, "release_cause_mapping: invalid JSON: number too large at byte 8"),
    (#""503""#, "release_cause_mapping: must be a JSON object"),
    (
      #"{"200": 486}"#,
      #"release_cause_mapping: key "200" is not a SIP final status 300-699 or a class 3xx-6xx"#
    ),
    (
      #"{"700": 486}"#,
      #"release_cause_mapping: key "700" is not a SIP final status 300-699 or a class 3xx-6xx"#
    ),
    (
      #"{"2xx": 486}"#,
      #"release_cause_mapping: key "2xx" is not a SIP final status 300-699 or a class 3xx-6xx"#
    ),
    (
      #"{"5x": 486}"#,
      #"release_cause_mapping: key "5x" is not a SIP final status 300-699 or a class 3xx-6xx"#
    ),
    (
      #"{"busy": 486}"#,
      #"release_cause_mapping: key "busy" is not a SIP final status 300-699 or a class 3xx-6xx"#
    ),
    (#"{"503": 1000}"#, #"release_cause_mapping: "503": status 1000 is not within 300-699"#),
    (#"{"503": 200}"#, #"release_cause_mapping: "503": status 200 is not within 300-699"#),
    (#"{"503": -486}"#, #"release_cause_mapping: "503": status -486 is not within 300-699"#),
    (
      #"{"503": "486"}"#,
      #"release_cause_mapping: "503": value "486" must be a status 300-699 or an object with "status""#
    ),
    (#"{"503": {"reason": "Busy"}}"#, #"release_cause_mapping: "503": object has no "status""#),
    (#"{"503": {"status": "486"}}"#, #"release_cause_mapping: "503": "status" must be an integer 300-699"#),
    (#"{"503": {"status": 486, "reason": 17}}"#, #"release_cause_mapping: "503": "reason" must be a string"#),
    (#"{"503": {"status": 486, "reason": " "}}"#, #"release_cause_mapping: "503": "reason" is empty"#),
    (
      #"{"503": {"status": 486, "reason": "a\r\nX: y"}}"#,
      #"release_cause_mapping: "503": "reason" contains a control character"#
    ),
    (#"{"503": {"status": 486, "cause": 17}}"#, #"release_cause_mapping: "503": unknown field "cause""#),
  ])
  func refuses(text: String, message: String) {
    #expect(throws: SignallingSettingsError(message)) { try ReleaseCauseMapping(parsingJSON: text) }
  }
}

@Suite struct Q850Tests {
  @Test(arguments: [
    (404, 1, #"Q.850;cause=1;text="Unallocated (unassigned) number""#),
    (486, 17, #"Q.850;cause=17;text="User busy""#),
    (600, 17, #"Q.850;cause=17;text="User busy""#),
    (480, 18, #"Q.850;cause=18;text="No user responding""#),
    (503, 41, #"Q.850;cause=41;text="Temporary failure""#),
    (408, 102, #"Q.850;cause=102;text="Recovery on timer expiry""#),
    (504, 102, #"Q.850;cause=102;text="Recovery on timer expiry""#),
    (403, 21, #"Q.850;cause=21;text="Call rejected""#),
    (603, 21, #"Q.850;cause=21;text="Call rejected""#),
    (484, 28, #"Q.850;cause=28;text="Invalid number format (address incomplete)""#),
    (502, 38, #"Q.850;cause=38;text="Network out of order""#),
    (488, 88, #"Q.850;cause=88;text="Incompatible destination""#),
  ])
  func causeAndReason(status: Int, cause: Int, reason: String) {
    #expect(Q850.cause(forSIPStatus: status) == cause)
    #expect(Q850.reasonHeader(forSIPStatus: status) == reason)
  }

  @Test(arguments: [487, 302, 200, 180, 489, 699])
  func noCause(status: Int) {
    #expect(Q850.cause(forSIPStatus: status) == nil)
    #expect(Q850.reasonHeader(forSIPStatus: status) == nil)
  }

  @Test func everyCauseHasItsText() {
    for status in 300...699 {
      if let cause = Q850.cause(forSIPStatus: status) {
        #expect(Q850.text(forCause: cause) != nil, "cause \(cause) for \(status)")
      }
    }
  }
}

@Suite struct SessionTimerTests {
  struct Case: Sendable, CustomStringConvertible {
    var sessionExpires: String?
    var minSE: String?
    var uacSupportsTimer = true
    var decision: SessionTimerDecision
    var description: String {
      "Session-Expires \(sessionExpires ?? "-"), Min-SE \(minSE ?? "-"), timer \(uacSupportsTimer)"
    }
  }

  @Test(arguments: [
    // Absent: insert the interval (no refresher) and Min-SE.
    Case(sessionExpires: nil, minSE: nil, decision: .forward(sessionExpires: "1800", minSE: "90")),
    // Absent, the request's Min-SE above the interval: insert at least that.
    Case(sessionExpires: nil, minSE: "3600", decision: .forward(sessionExpires: "3600", minSE: nil)),
    // Acceptable: kept; Min-SE added or raised when missing or smaller.
    Case(
      sessionExpires: "1800;refresher=uac", minSE: nil, decision: .forward(sessionExpires: nil, minSE: "90")),
    Case(sessionExpires: "1800", minSE: "90", decision: .forward(sessionExpires: nil, minSE: nil)),
    Case(sessionExpires: "90", minSE: "90", decision: .forward(sessionExpires: nil, minSE: nil)),
    Case(
      sessionExpires: " 1800 ; refresher=uas", minSE: "120",
      decision: .forward(sessionExpires: nil, minSE: nil)),
    Case(sessionExpires: "86400", minSE: "60", decision: .forward(sessionExpires: nil, minSE: "90")),
    // Too small, the UAC understands 422.
    Case(sessionExpires: "60", minSE: nil, decision: .tooSmall(minSE: 90)),
    Case(sessionExpires: "89;refresher=uac", minSE: "89", decision: .tooSmall(minSE: 90)),
    Case(sessionExpires: "0", minSE: nil, decision: .tooSmall(minSE: 90)),
    // Too small, the UAC does not: raised, parameters kept.
    Case(
      sessionExpires: "60;refresher=uas", minSE: "60", uacSupportsTimer: false,
      decision: .forward(sessionExpires: "90;refresher=uas", minSE: "90")),
    Case(
      sessionExpires: "60", minSE: "120", uacSupportsTimer: false,
      decision: .forward(sessionExpires: "120", minSE: nil)),
    // Unreadable values are replaced.
    Case(sessionExpires: "abc", minSE: nil, decision: .forward(sessionExpires: "1800", minSE: "90")),
    Case(sessionExpires: "", minSE: nil, decision: .forward(sessionExpires: "1800", minSE: "90")),
    Case(sessionExpires: "-5", minSE: nil, decision: .forward(sessionExpires: "1800", minSE: "90")),
    Case(sessionExpires: "1800x", minSE: nil, decision: .forward(sessionExpires: "1800", minSE: "90")),
    Case(sessionExpires: "99999999999", minSE: nil, decision: .forward(sessionExpires: "1800", minSE: "90")),
    Case(sessionExpires: "4294967296", minSE: nil, decision: .forward(sessionExpires: "1800", minSE: "90")),
    Case(sessionExpires: "1800", minSE: "soon", decision: .forward(sessionExpires: nil, minSE: "90")),
  ])
  func inspectsRequest(testCase: Case) throws {
    let policy = try SessionTimerPolicy(interval: 1800)
    let decision = policy.inspectRequest(
      sessionExpires: testCase.sessionExpires, minSE: testCase.minSE,
      uacSupportsTimer: testCase.uacSupportsTimer)
    #expect(decision == testCase.decision)
  }

  @Test func largerMinimum() throws {
    let policy = try SessionTimerPolicy(interval: 600, minSE: 300)
    #expect(policy.inspectRequest(sessionExpires: "200", minSE: nil) == .tooSmall(minSE: 300))
    #expect(
      policy.inspectRequest(sessionExpires: "300", minSE: "90") == .forward(sessionExpires: nil, minSE: "300")
    )
    #expect(
      policy.inspectRequest(sessionExpires: nil, minSE: nil) == .forward(sessionExpires: "600", minSE: "300"))
  }

  @Test(
    arguments: [
      (1800, 90, nil),
      (90, 90, nil),
      (60, 90, "session_timer_interval: 60 is below the minimum of 90 seconds"),
      (100, 120, "session_timer_interval: 100 is below the minimum of 120 seconds"),
      (1800, 30, "Min-SE 30 is below the RFC 4028 minimum of 90 seconds"),
    ] as [(Int, Int, String?)])
  func policyValidation(interval: Int, minSE: Int, error: String?) throws {
    if let error {
      #expect(throws: SignallingSettingsError(error)) {
        try SessionTimerPolicy(interval: interval, minSE: minSE)
      }
    } else {
      let policy = try SessionTimerPolicy(interval: interval, minSE: minSE)
      #expect(policy.interval == interval && policy.minSE == minSE)
    }
  }

  @Test(
    arguments: [
      ("1800;refresher=uac", 1800), ("  90 ", 90), ("3600;refresher=uas;x=1", 3600),
      (nil, nil), ("junk", nil), ("0", nil), ("", nil),
    ] as [(String?, Int?)])
  func negotiatedInterval(value: String?, interval: Int?) {
    #expect(SessionTimerPolicy.negotiatedInterval(responseSessionExpires: value) == interval)
  }

  @Test(
    arguments: [
      (nil, "1800", true, "1800;refresher=uac"),
      (nil, "1800;refresher=uas", true, "1800;refresher=uac"),
      ("1800;refresher=uas", "1800", true, nil),
      (nil, "1800", false, nil),
      (nil, nil, true, nil),
    ] as [(String?, String?, Bool, String?)])
  func responseInsertion(response: String?, forwarded: String?, supports: Bool, expected: String?) {
    let value = SessionTimerPolicy.sessionExpiresForResponse(
      responseSessionExpires: response, forwardedSessionExpires: forwarded, uacSupportsTimer: supports)
    #expect(value == expected)
  }

  @Test(arguments: [
    (1800, Int64(1_768_000)),  // 1800 - 32
    (120, Int64(88_000)),  // 120 - min(32, 40)
    (96, Int64(64_000)),  // 96 - 32
    (90, Int64(60_000)),  // 90 - 30
  ])
  func deadline(interval: Int, ms: Int64) {
    #expect(SessionTimerPolicy.deadlineMs(interval: interval) == ms)
  }
}

@Suite struct OptionTagsTests {
  @Test func parse() {
    #expect(
      OptionTags.parse(["timer, 100rel", "Replaces,  TIMER", " ", ""]) == ["timer", "100rel", "replaces"])
    #expect(OptionTags.parse([]) == [])
  }

  @Test(
    arguments: [
      ("100rel", ["100rel, timer", "Replaces"], "timer, Replaces"),
      ("100REL", ["100rel"], nil),
      ("100rel", ["100rel", " 100Rel ,"], nil),
      ("timer", ["100rel"], "100rel"),
      ("x", [], nil),
    ] as [(String, [String], String?)])
  func removing(tag: String, values: [String], expected: String?) {
    #expect(OptionTags.removing(tag, from: values) == expected)
  }

  @Test func contains() {
    #expect(OptionTags.contains("Timer", in: ["100rel,timer"]))
    #expect(OptionTags.contains("100rel", in: ["path", " 100REL "]))
    #expect(!OptionTags.contains("time", in: ["timer"]))
    #expect(!OptionTags.contains("timer", in: []))
  }
}

@Suite struct SignallingSettingsTests {
  @Test func columnDefaultsAreTheDefaults() throws {
    let settings = try SignallingSettings.parse(
      sessionTimerEnabled: false, sessionTimerInterval: nil, maxCallDurationEnabled: false,
      maxCallDuration: nil,
      earlyMediaEnabled: true, rel100Enabled: false, releaseCauseMapping: "{}")
    #expect(settings == .defaults)
    #expect(settings.sessionTimer == nil && settings.maxCallDurationSeconds == nil)
    #expect(settings.earlyMedia && !settings.reliableProvisional)
  }

  @Test func everythingEnabled() throws {
    let settings = try SignallingSettings.parse(
      sessionTimerEnabled: true, sessionTimerInterval: 1800, maxCallDurationEnabled: true,
      maxCallDuration: 7200,
      earlyMediaEnabled: false, rel100Enabled: true, releaseCauseMapping: #"{"5xx": 480}"#)
    let timer = try SessionTimerPolicy(interval: 1800)
    #expect(settings.sessionTimer == timer)
    #expect(settings.maxCallDurationSeconds == 7200)
    #expect(!settings.earlyMedia && settings.reliableProvisional)
    #expect(rendered(settings.releaseCauses.map(503)) == "480")
  }

  @Test func disabledValuesAreNotLookedAt() throws {
    let settings = try SignallingSettings.parse(
      sessionTimerEnabled: false, sessionTimerInterval: 30, maxCallDurationEnabled: false,
      maxCallDuration: -1,
      earlyMediaEnabled: true, rel100Enabled: false, releaseCauseMapping: nil)
    #expect(settings == .defaults)
  }

  @Test(
    arguments: [
      (true, nil, false, nil, "{}", "session_timer_interval: missing while session_timer_enabled is true"),
      (true, 60, false, nil, "{}", "session_timer_interval: 60 is below the minimum of 90 seconds"),
      (false, nil, true, nil, "{}", "max_call_duration: missing while max_call_duration_enabled is true"),
      (false, nil, true, -5, "{}", "max_call_duration: -5 is not a positive number of seconds"),
      (false, nil, true, 0, "{}", "max_call_duration: 0 is not a positive number of seconds"),
      (
        false, nil, false, nil, #"{"200": 486}"#,
        #"release_cause_mapping: key "200" is not a SIP final status 300-699 or a class 3xx-6xx"#
      ),
    ] as [(Bool, Int?, Bool, Int?, String, String)])
  func refuses(
    timerEnabled: Bool, interval: Int?, durationEnabled: Bool, duration: Int?, mapping: String,
    message: String
  ) {
    #expect(throws: SignallingSettingsError(message)) {
      try SignallingSettings.parse(
        sessionTimerEnabled: timerEnabled, sessionTimerInterval: interval,
        maxCallDurationEnabled: durationEnabled,
        maxCallDuration: duration, earlyMediaEnabled: true, rel100Enabled: false, releaseCauseMapping: mapping
      )
    }
  }
}
