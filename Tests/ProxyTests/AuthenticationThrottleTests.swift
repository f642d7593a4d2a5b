import Testing

@testable import Proxy

/// The brute-force throttle on a manual clock (time is a parameter):
/// blocks, back-off, reset on success, known sources, the table cap and
/// the log decisions.
@Suite struct AuthenticationThrottleTests {
  static let minute: Int64 = 60_000

  static func throttle(
    limit: Int = 5, blockMs: Int64 = minute, maxBlockMs: Int64 = 60 * minute, forgetMs: Int64 = 60 * minute,
    capacity: Int = 10_000, logIntervalMs: Int64 = minute
  ) -> AuthenticationThrottle {
    AuthenticationThrottle(
      configuration: .init(
        failureLimit: limit, failureWindowMs: minute, blockMs: blockMs, maxBlockMs: maxBlockMs,
        forgetMs: forgetMs, capacity: capacity, logIntervalMs: logIntervalMs))
  }

  /// `count` failures from `host` as `user`, one second apart from `atMs`; the time after them.
  @discardableResult
  static func fail(
    _ throttle: AuthenticationThrottle, host: String, user: String = "alice", count: Int = 5, atMs: Int64
  ) -> Int64 {
    var now = atMs
    for _ in 0..<count {
      throttle.recordFailure(host: host, user: user, nowMs: now)
      now += 1_000
    }
    return now - 1_000
  }

  @Test func fiveFailuresBlockTheSourceUntilTheBlockEnds() {
    let throttle = Self.throttle()
    let last4 = Self.fail(throttle, host: "192.0.2.1", count: 4, atMs: 0)
    #expect(throttle.admit(host: "192.0.2.1", user: "alice", nowMs: last4) == .allowed)
    let blockedAt = Self.fail(throttle, host: "192.0.2.1", count: 1, atMs: last4 + 1_000)
    #expect(throttle.admit(host: "192.0.2.1", user: "bob", nowMs: blockedAt) == .blocked(.source))
    #expect(
      throttle.admit(host: "192.0.2.1", user: nil, nowMs: blockedAt + Self.minute - 1) == .blocked(.source))
    #expect(throttle.admit(host: "192.0.2.1", user: nil, nowMs: blockedAt + Self.minute) == .allowed)
    #expect(throttle.admit(host: "192.0.2.2", user: "bob", nowMs: blockedAt) == .allowed)
    #expect(throttle.counters.failures == 5 && throttle.counters.sourceBlocks == 1)
    #expect(throttle.counters.droppedBySource == 2)
  }

  @Test func failuresOutsideTheWindowDoNotAddUp() {
    let throttle = Self.throttle()
    var now: Int64 = 0
    for _ in 0..<10 {
      Self.fail(throttle, host: "192.0.2.1", count: 4, atMs: now)
      now += Self.minute + 5_000
    }
    #expect(throttle.admit(host: "192.0.2.1", user: "alice", nowMs: now) == .allowed)
    #expect(throttle.counters.sourceBlocks == 0)
  }

  /// The blocks of one source: 1, 2, 4 minutes, then the cap (5).
  @Test func eachNewBlockLastsTwiceAsLongUpToTheCap() {
    let throttle = Self.throttle(maxBlockMs: 5 * Self.minute)
    var now: Int64 = 0
    var lengths: [Int64] = []
    for _ in 0..<5 {
      now = Self.fail(throttle, host: "192.0.2.1", atMs: now)
      let start = now
      while throttle.admit(host: "192.0.2.1", user: nil, nowMs: now) != .allowed { now += 1_000 }
      lengths.append(now - start)
    }
    #expect(lengths == [1, 2, 4, 5, 5].map { $0 * Self.minute })
  }

  @Test func aQuietSourceIsForgottenAndStartsAgainFromTheFirstBlock() {
    let throttle = Self.throttle(forgetMs: 10 * Self.minute)
    var now = Self.fail(throttle, host: "192.0.2.1", atMs: 0)
    now = Self.fail(throttle, host: "192.0.2.1", atMs: now + Self.minute)  // second block: 2 minutes
    #expect(
      throttle.admit(host: "192.0.2.1", user: nil, nowMs: now + 2 * Self.minute - 1) == .blocked(.source))
    now += 2 * Self.minute + 10 * Self.minute  // quiet for the forget time after the block
    now = Self.fail(throttle, host: "192.0.2.1", atMs: now)
    #expect(throttle.admit(host: "192.0.2.1", user: nil, nowMs: now + Self.minute - 1) == .blocked(.source))
    #expect(throttle.admit(host: "192.0.2.1", user: nil, nowMs: now + Self.minute) == .allowed)
  }

  /// Failures for one user from many sources (one each) block the user;
  /// a success first resets its count.
  @Test func aSuccessResetsTheUsersFailureCount() {
    let throttle = Self.throttle()
    for index in 1...4 { throttle.recordFailure(host: "198.51.100.\(index)", user: "alice", nowMs: 1_000) }
    throttle.recordSuccess(host: "192.0.2.10", user: "alice", nowMs: 2_000)
    for index in 5...8 { throttle.recordFailure(host: "198.51.100.\(index)", user: "alice", nowMs: 3_000) }
    #expect(throttle.admit(host: "198.51.100.99", user: "alice", nowMs: 4_000) == .allowed)
    throttle.recordFailure(host: "198.51.100.9", user: "alice", nowMs: 5_000)
    #expect(throttle.admit(host: "198.51.100.99", user: "alice", nowMs: 6_000) == .blocked(.user))
    #expect(throttle.counters.userBlocks == 1 && throttle.counters.droppedByUser == 1)
  }

  /// An attacker's own account must not buy it new guesses from its address.
  @Test func aSuccessDoesNotResetTheSourcesCount() {
    let throttle = Self.throttle()
    Self.fail(throttle, host: "203.0.113.5", user: "bob", count: 4, atMs: 0)
    throttle.recordSuccess(host: "203.0.113.5", user: "mallory", nowMs: 5_000)
    throttle.recordFailure(host: "203.0.113.5", user: "bob", nowMs: 6_000)
    #expect(throttle.admit(host: "203.0.113.5", user: "carol", nowMs: 7_000) == .blocked(.source))
  }

  /// A distributed attack blocks the user for new addresses only: the
  /// phone keeps registering from where it did; other users are not affected.
  @Test func aBlockedUserStillAuthenticatesFromAKnownSource() {
    let throttle = Self.throttle()
    throttle.recordSuccess(host: "192.0.2.10", user: "alice", nowMs: 0)
    for index in 1...5 { throttle.recordFailure(host: "198.51.100.\(index)", user: "alice", nowMs: 1_000) }
    #expect(throttle.admit(host: "198.51.100.77", user: "alice", nowMs: 2_000) == .blocked(.user))
    #expect(throttle.admit(host: "192.0.2.10", user: "alice", nowMs: 2_000) == .allowed)
    #expect(throttle.admit(host: "198.51.100.77", user: "bob", nowMs: 2_000) == .allowed)
  }

  /// Behind one NAT address: another device's failures block the address,
  /// not a phone that authenticated from it, until that phone fails too.
  @Test func aKnownSourceIsSparedABlockUntilItFailsItself() {
    let throttle = Self.throttle()
    throttle.recordSuccess(host: "192.0.2.10", user: "alice", nowMs: 0)
    Self.fail(throttle, host: "192.0.2.10", user: "bob", atMs: 1_000)
    #expect(throttle.admit(host: "192.0.2.10", user: "bob", nowMs: 10_000) == .blocked(.source))
    #expect(throttle.admit(host: "192.0.2.10", user: "alice", nowMs: 10_000) == .allowed)
    Self.fail(throttle, host: "192.0.2.10", user: "alice", atMs: 11_000)
    #expect(throttle.admit(host: "192.0.2.10", user: "alice", nowMs: 20_000) == .blocked(.source))
  }

  /// A spoofed-source flood: the tables stay within their capacity, and
  /// the blocked source is not the one evicted.
  @Test func theTablesAreCappedAndBlockedEntriesOutliveAFlood() {
    let throttle = Self.throttle(capacity: 64)
    Self.fail(throttle, host: "203.0.113.5", user: "alice", atMs: 0)
    for index in 0..<10_000 {
      throttle.recordFailure(
        host: "10.\(index / 65_536).\(index / 256 % 256).\(index % 256)", user: "u\(index)", nowMs: 10_000)
    }
    #expect(throttle.entryCounts.sources <= 64 && throttle.entryCounts.users <= 64)
    #expect(throttle.admit(host: "203.0.113.5", user: "x", nowMs: 20_000) == .blocked(.source))
  }

  /// One report when a source is blocked (with the users it tried), then
  /// at most one per interval however many requests are dropped.
  @Test func aBlockedSourceIsReportedOncePerInterval() {
    let throttle = Self.throttle(blockMs: 10 * Self.minute)
    Self.fail(throttle, host: "203.0.113.5", user: "alice", count: 3, atMs: 0)
    Self.fail(throttle, host: "203.0.113.5", user: "bob", count: 2, atMs: 3_000)
    let first = throttle.takeReports().filter { $0.scope == .source }
    #expect(first.count == 1)
    #expect(first.first?.subject == "203.0.113.5" && first.first?.names == ["alice", "bob"])
    #expect(first.first?.failures == 5 && first.first?.blockedSeconds == 600)
    for second in 5..<64 {
      _ = throttle.admit(host: "203.0.113.5", user: "carol", nowMs: Int64(second) * 1_000)
    }
    #expect(throttle.takeReports().isEmpty)
    _ = throttle.admit(host: "203.0.113.5", user: "carol", nowMs: 64_000)
    let next = throttle.takeReports()
    #expect(next.count == 1 && next.first?.scope == .source && next.first?.dropped == 60)
    #expect(throttle.counters.droppedBySource == 60)
  }

  @Test func withALimitOfZeroNothingIsThrottled() {
    let throttle = Self.throttle(limit: 0)
    Self.fail(throttle, host: "192.0.2.1", count: 50, atMs: 0)
    #expect(throttle.admit(host: "192.0.2.1", user: "alice", nowMs: 60_000) == .allowed)
    #expect(throttle.counters.failures == 50 && throttle.counters.sourceBlocks == 0)
  }

  @Test func anIPv6SourceIsItsSlash64() {
    #expect(AuthenticationThrottle.sourceKey("2001:db8:1:2::5") == "2001:db8:1:2::/64")
    #expect(AuthenticationThrottle.sourceKey("[2001:DB8:1:2:ffff::1]") == "2001:db8:1:2::/64")
    #expect(AuthenticationThrottle.sourceKey("::1") == "0:0:0:0::/64")
    #expect(AuthenticationThrottle.sourceKey("192.0.2.1") == "192.0.2.1")
    #expect(AuthenticationThrottle.sourceKey("::ffff:192.0.2.1") == "192.0.2.1")
    #expect(AuthenticationThrottle.sourceKey("[::FFFF:c000:201]") == "192.0.2.1")
    let throttle = Self.throttle()
    Self.fail(throttle, host: "2001:db8:1:2::5", atMs: 0)
    #expect(throttle.admit(host: "2001:db8:1:2:aaaa::9", user: nil, nowMs: 5_000) == .blocked(.source))
    #expect(throttle.admit(host: "2001:db8:1:3::5", user: nil, nowMs: 5_000) == .allowed)
  }

  @Test func userNamesAreEscapedAndCutForTheTableAndTheLog() {
    #expect(AuthenticationThrottle.userKey("al\u{1}ice\\ x") == "al\\x01ice\\x5c\\x20x")
    #expect(AuthenticationThrottle.userKey(String(repeating: "a", count: 1_000)).count == 64)
  }
}
