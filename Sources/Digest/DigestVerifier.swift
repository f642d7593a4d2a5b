/// Checks digest credentials against a password, and writes challenges
/// (RFC 3261 §22.4, RFC 7616 §3.3-3.4, RFC 8760). Pure apart from hashing.
public struct DigestVerifier: Sendable {
  /// The algorithms challenged with, in order of preference (one
  /// `WWW-Authenticate` each, RFC 8760 §2.4).
  public var algorithms: [DigestHash]
  public var nonces: NonceAuthority

  public init(algorithms: [DigestHash], nonces: NonceAuthority) {
    self.algorithms = algorithms
    self.nonces = nonces
  }

  public enum Verdict: Sendable, Equatable {
    /// The response is right and the nonce is this switch's and fresh.
    case valid
    /// The response is right but the nonce has expired: challenge again with `stale=true`.
    case stale
    /// Anything else: wrong password, a nonce that is not ours, an
    /// algorithm or qop not offered.
    case invalid
  }

  /// `response` as the client must have computed it (RFC 7616 §3.4.1,
  /// `qop=auth`, or RFC 2069 without qop).
  public static func expectedResponse(
    _ credentials: DigestCredentials, method: String, password: String, hash: DigestHash
  ) -> String {
    let ha1 = hash.hex("\(credentials.username):\(credentials.realm):\(password)")
    let ha2 = hash.hex("\(method):\(credentials.uri)")
    if let qop = credentials.qop {
      return hash.hex(
        "\(ha1):\(credentials.nonce):\(credentials.nc ?? ""):\(credentials.cnonce ?? ""):\(qop):\(ha2)")
    }
    return hash.hex("\(ha1):\(credentials.nonce):\(ha2)")
  }

  public func verify(
    _ credentials: DigestCredentials, method: String, password: String, nowMs: Int64
  ) -> Verdict {
    let token = credentials.algorithm ?? "MD5"
    guard let hash = DigestHash(token: token), algorithms.contains(hash) else { return .invalid }
    if let qop = credentials.qop {
      guard qop.lowercased() == "auth", credentials.cnonce != nil, credentials.nc != nil else {
        return .invalid
      }
    }
    let freshness = nonces.check(credentials.nonce, nowMs: nowMs)
    guard freshness != .invalid else { return .invalid }
    let expected = Self.expectedResponse(credentials, method: method, password: password, hash: hash)
    guard Self.constantTimeEqual(expected, credentials.response.lowercased()) else { return .invalid }
    return freshness == .fresh ? .valid : .stale
  }

  /// One `WWW-Authenticate` value per algorithm, with a new nonce;
  /// `only`: just that algorithm when it is one of `algorithms` (a client
  /// that cannot skip a challenge it does not know, `Registrar.challengeAlgorithm`).
  public func challenges(realm: String, stale: Bool, nowMs: Int64, only: DigestHash? = nil) -> [String] {
    let nonce = nonces.issue(nowMs: nowMs)
    let offered = only.flatMap { algorithms.contains($0) ? [$0] : nil } ?? algorithms
    return offered.map { hash in
      "Digest realm=\"\(Self.quoted(realm))\", nonce=\"\(nonce)\", algorithm=\(hash.rawValue), qop=\"auth\""
        + (stale ? ", stale=true" : "")
    }
  }

  static func quoted(_ text: String) -> String {
    var out = ""
    for character in text {
      if character == "\"" || character == "\\" { out.append("\\") }
      out.append(character)
    }
    return out
  }

  static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8)
    let y = Array(b.utf8)
    guard x.count == y.count else { return false }
    var difference: UInt8 = 0
    for index in x.indices { difference |= x[index] ^ y[index] }
    return difference == 0
  }
}
