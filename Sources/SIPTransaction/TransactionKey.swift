/// The key a transaction table files a transaction under, so that a message
/// finds the transaction it belongs to (RFC 3261 §17.1.3, §17.2.3).
///
/// - A server key is the top Via's branch and sent-by plus the request
///   method, where an ACK takes the INVITE's key (it belongs to the INVITE
///   server transaction) and a CANCEL keeps its own (it is a transaction of
///   its own with the same branch as the INVITE it cancels).
/// - A client key is the top Via's branch (the one this element put there)
///   plus the CSeq method of the response.
///
/// The branch is compared exactly as received: every element echoes it byte
/// for byte. The sent-by (`host:port` as written in the Via) is lower-cased,
/// since host names compare without case. Matching is defined only for a
/// branch that `isRFC3261Branch`; requests from RFC 2543 elements need the
/// older rules of §17.2.3 and are the table's business.
///
/// Every message looks its transaction up, so the key carries an FNV-1a
/// digest of its bytes, computed once: hashing feeds only the digest to the
/// table's hasher, and equality compares the digests before the strings.
public struct TransactionKey: Hashable, Sendable, CustomStringConvertible {
  /// The branch parameter of the top Via.
  public let branch: String
  /// The top Via's sent-by, lower-cased; `nil` for a client key.
  public let sentBy: String?
  /// The method of the transaction: `INVITE` for an ACK to a server INVITE.
  public let method: String
  private let digest: UInt64

  private init(branch: String, sentBy: String?, method: String) {
    self.branch = branch
    self.sentBy = sentBy
    self.method = method
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    func mix(_ text: String) {
      for byte in text.utf8 {
        hash ^= UInt64(byte)
        hash = hash &* 0x100_0000_01B3
      }
      hash ^= 0xFF
      hash = hash &* 0x100_0000_01B3
    }
    mix(branch)
    if let sentBy { mix(sentBy) }
    mix(method)
    digest = hash
  }

  public static func == (lhs: TransactionKey, rhs: TransactionKey) -> Bool {
    lhs.digest == rhs.digest && lhs.branch == rhs.branch && lhs.method == rhs.method
      && lhs.sentBy == rhs.sentBy
  }

  public func hash(into hasher: inout Hasher) { hasher.combine(digest) }

  /// The key of the server transaction a request belongs to.
  public static func server(branch: String, sentBy: String, method: String) -> TransactionKey {
    // RFC 3261 §17.2.3: "the method of the request matches the one that
    // created the transaction, except for ACK, where the method of the
    // request that created the transaction is INVITE".
    TransactionKey(branch: branch, sentBy: sentBy.lowercased(), method: method == "ACK" ? "INVITE" : method)
  }

  /// The key of the client transaction a response belongs to.
  public static func client(branch: String, method: String) -> TransactionKey {
    // RFC 3261 §17.1.3: same branch as the request we sent and the same
    // CSeq method (so a response to a CANCEL never matches the INVITE).
    TransactionKey(branch: branch, sentBy: nil, method: method)
  }

  /// Whether `branch` carries the RFC 3261 magic cookie (§8.1.1.7) with
  /// something after it: a bare `z9hG4bK` is not unique (RFC 4475 §3.2.1).
  public var isRFC3261Branch: Bool { Self.isRFC3261Branch(branch) }

  /// Whether `branch` carries the RFC 3261 magic cookie with something after it.
  public static func isRFC3261Branch(_ branch: String) -> Bool {
    // RFC 3261 §8.1.1.7: "MUST always begin with the characters z9hG4bK".
    let cookie = "z9hG4bK"
    return branch.utf8.count > cookie.utf8.count && branch.hasPrefix(cookie)
  }

  public var description: String {
    if let sentBy {
      return "server \(method) \(branch) \(sentBy)"
    }
    return "client \(method) \(branch)"
  }
}
