/// Slows down password guessing against digest authentication (issue 15,
/// docs/registrar.md "Brute force"): failed authentications are counted per
/// source address and per user; `failureLimit` failures within
/// `failureWindowMs` block the source (every request it sends to be
/// authenticated is dropped unanswered) or the user (requests for that user
/// from addresses it never authenticated from are dropped), for
/// `blockMs`, doubling on each new block up to `maxBlockMs`. An entry is
/// forgotten after `forgetMs` without a failure or a dropped request.
///
/// A source that authenticated as a user keeps authenticating as that user
/// while the source or the user is blocked, so an attacker elsewhere cannot
/// lock a registered phone out, until that (user, source) pair fails
/// `failureLimit` times itself. A success resets the user's failure count
/// but neither its back-off level nor the source's count (an attacker with
/// one account of its own must not buy new guesses with it).
///
/// Both tables hold at most `capacity` entries: when full, entries that are
/// quiet past `forgetMs` go first, then the oldest unblocked ones, then the
/// oldest. Pure: time is a parameter; it lives on the proxy core's thread.
/// Any digest check (REGISTER now, INVITE with 407 later) can use one.
public final class AuthenticationThrottle {
  public struct Configuration: Sendable, Equatable {
    /// Failures within the window that start a block; 0 turns throttling off.
    public var failureLimit: Int
    public var failureWindowMs: Int64
    /// The first block; each further block of the same entry doubles it.
    public var blockMs: Int64
    public var maxBlockMs: Int64
    /// An entry with no failure and no dropped request for this long is forgotten.
    public var forgetMs: Int64
    /// Entries per table (sources, users).
    public var capacity: Int
    /// At most one report (log line) per source or user per interval.
    public var logIntervalMs: Int64

    public init(
      failureLimit: Int = 5, failureWindowMs: Int64 = 60_000, blockMs: Int64 = 60_000,
      maxBlockMs: Int64 = 3_600_000, forgetMs: Int64 = 3_600_000, capacity: Int = 10_000,
      logIntervalMs: Int64 = 60_000
    ) {
      self.failureLimit = failureLimit
      self.failureWindowMs = failureWindowMs
      self.blockMs = blockMs
      self.maxBlockMs = maxBlockMs
      self.forgetMs = forgetMs
      self.capacity = capacity
      self.logIntervalMs = logIntervalMs
    }
  }

  /// Which table refused a request.
  public enum Scope: String, Sendable, Equatable {
    case source, user
  }

  public enum Admission: Sendable, Equatable {
    case allowed
    /// Drop the request unanswered: its source (or its user, from an
    /// address the user never authenticated from) is blocked.
    case blocked(Scope)
  }

  /// What to log about one source or user: at most one per interval each.
  public struct Report: Sendable, Equatable {
    public var scope: Scope
    /// The source address key (IPv6: its /64) or the user name (escaped).
    public var subject: String
    /// Failures counted in the current window.
    public var failures: Int
    /// Requests dropped since the last report.
    public var dropped: Int
    /// Seconds the block has left (0: not blocked).
    public var blockedSeconds: Int64
    /// Users tried from this source (a source report; at most `ThrottleEntry.namesKept`).
    public var names: [String]
  }

  /// Running totals, read for metrics.
  public struct Counters: Sendable, Equatable {
    public var failures = 0
    public var sourceBlocks = 0
    public var userBlocks = 0
    public var droppedBySource = 0
    public var droppedByUser = 0

    public init() {}
  }

  public let configuration: Configuration
  public private(set) var counters = Counters()
  private var sources: ThrottleTable
  private var users: ThrottleTable
  private var reports: [Report] = []

  public init(configuration: Configuration = Configuration()) {
    self.configuration = configuration
    sources = ThrottleTable(configuration: configuration)
    users = ThrottleTable(configuration: configuration)
  }

  public var isEnabled: Bool { configuration.failureLimit > 0 }

  /// Entries held (sources, users): bounded by `capacity` each.
  public var entryCounts: (sources: Int, users: Int) { (sources.count, users.count) }

  /// Whether a request from `host` claiming `user` (the digest username,
  /// or without credentials the user it is for) may be authenticated.
  /// A refusal is counted and may queue a report.
  public func admit(host: String, user: String?, nowMs: Int64) -> Admission {
    guard isEnabled else { return .allowed }
    let source = Self.sourceKey(host)
    let name = user.map(Self.userKey)
    if let name, users.isKnown(name, source: source, nowMs: nowMs) { return .allowed }
    if sources.isBlocked(source, nowMs: nowMs) {
      counters.droppedBySource += 1
      queue(.source, source, sources.noteDrop(source, nowMs: nowMs))
      return .blocked(.source)
    }
    if let name, users.isBlocked(name, nowMs: nowMs) {
      counters.droppedByUser += 1
      queue(.user, name, users.noteDrop(name, nowMs: nowMs))
      return .blocked(.user)
    }
    return .allowed
  }

  /// A failed authentication from `host` as `user` (wrong password, unknown
  /// user, a nonce not ours, a replayed answer).
  public func recordFailure(host: String, user: String, nowMs: Int64) {
    counters.failures += 1
    guard isEnabled else { return }
    let source = Self.sourceKey(host)
    let name = Self.userKey(user)
    users.knownPairFailed(name, source: source)
    let sourceOutcome = sources.recordFailure(source, name: name, nowMs: nowMs)
    if sourceOutcome.blocked { counters.sourceBlocks += 1 }
    queue(.source, source, sourceOutcome.report)
    let userOutcome = users.recordFailure(name, name: nil, nowMs: nowMs)
    if userOutcome.blocked { counters.userBlocks += 1 }
    queue(.user, name, userOutcome.report)
  }

  /// A successful authentication: the user's failure count is reset and
  /// `host` becomes one of its known sources.
  public func recordSuccess(host: String, user: String, nowMs: Int64) {
    guard isEnabled else { return }
    users.recordSuccess(Self.userKey(user), source: Self.sourceKey(host), nowMs: nowMs)
  }

  /// The reports queued since the last call (for the log).
  public func takeReports() -> [Report] {
    defer { reports.removeAll() }
    return reports
  }

  private func queue(_ scope: Scope, _ subject: String, _ report: ThrottleEntry.ReportFigures?) {
    guard let report else { return }
    reports.append(
      Report(
        scope: scope, subject: subject, failures: report.failures, dropped: report.dropped,
        blockedSeconds: report.blockedSeconds, names: report.names))
  }

  // MARK: Keys

  /// An IPv4 address as is; an IPv6 address by its /64 (one host owns a
  /// whole /64 and can change addresses within it at will).
  static func sourceKey(_ host: String) -> String {
    // The common case, an IPv4 address (digits and dots), as is.
    if host.utf8.allSatisfy({
      $0 == UInt8(ascii: ".") || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9"))
    }) {
      return host
    }
    var text = Substring(host)
    if text.hasPrefix("["), text.hasSuffix("]") { text = text.dropFirst().dropLast() }
    guard text.contains(":"), let groups = ipv6Groups(text) else { return String(text.lowercased()) }
    // An IPv4 peer of a dual-stack socket (::ffff:a.b.c.d) is that IPv4 address.
    if groups[0..<5].allSatisfy({ $0 == 0 }), groups[5] == 0xffff {
      return [groups[6] >> 8, groups[6] & 255, groups[7] >> 8, groups[7] & 255].map { String($0) }
        .joined(separator: ".")
    }
    return groups.prefix(4).map { String($0, radix: 16) }.joined(separator: ":") + "::/64"
  }

  /// The eight 16-bit groups of an IPv6 address (`::` expanded; a trailing
  /// dotted IPv4 part counts as two), or nil.
  static func ipv6Groups(_ text: Substring) -> [UInt16]? {
    let halves = text.split(separator: "::", omittingEmptySubsequences: false)
    guard halves.count <= 2 else { return nil }
    func groups(_ part: Substring) -> [UInt16]? {
      guard !part.isEmpty else { return [] }
      var result: [UInt16] = []
      for piece in part.split(separator: ":", omittingEmptySubsequences: false) {
        if piece.contains(".") {
          let bytes = piece.split(separator: ".").compactMap { UInt8($0) }
          guard bytes.count == 4 else { return nil }
          result += [UInt16(bytes[0]) << 8 | UInt16(bytes[1]), UInt16(bytes[2]) << 8 | UInt16(bytes[3])]
        } else {
          guard piece.count <= 4, let value = UInt16(piece, radix: 16) else { return nil }
          result.append(value)
        }
      }
      return result
    }
    guard let head = groups(halves[0]) else { return nil }
    guard halves.count == 2 else { return head.count == 8 ? head : nil }
    guard let tail = groups(halves[1]), head.count + tail.count < 8 else { return nil }
    return head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
  }

  /// A user name as a table key and in logs: at most 64 characters,
  /// anything but printable ASCII escaped (`\xNN`), so a peer's bytes
  /// neither grow the table nor reach the log raw.
  static func userKey(_ user: String) -> String {
    var out = ""
    for byte in user.utf8.prefix(64) {
      if byte >= 0x21 && byte < 0x7F && byte != 0x5C {
        out.append(Character(Unicode.Scalar(byte)))
      } else {
        let hex = String(byte, radix: 16)
        out += "\\x" + (hex.count == 1 ? "0" : "") + hex
      }
    }
    return out
  }
}
