/// Issues and checks the nonces of digest challenges without keeping any:
/// a nonce is the time it was issued, 8 random bytes (so two challenges in
/// one millisecond never share a nonce, whose `nc` counts one client's
/// answers), and an HMAC-SHA-256 of both under a secret of this process, so
/// only nonces this switch issued pass, and
/// each is fresh for `lifetimeMs` (then stale: the client is challenged
/// again with `stale=true` and need not ask the user). A restart makes a
/// new secret; phones re-register through one more challenge.
public struct NonceAuthority: Sendable {
  public var lifetimeMs: Int64
  private let secret: [UInt8]

  public init(lifetimeMs: Int64, secret: [UInt8] = DigestHash.randomBytes(32)) {
    self.lifetimeMs = lifetimeMs
    self.secret = secret
  }

  public enum Freshness: Sendable, Equatable {
    case fresh
    case stale
    case invalid
  }

  /// 16 hex digits of the issue time (ms, the caller's clock), 16 random
  /// ones, and 32 of their signature.
  public func issue(nowMs: Int64) -> String {
    let stamp = Self.timeText(nowMs) + DigestHash.hexText(DigestHash.randomBytes(8))
    return stamp + signature(stamp)
  }

  public func check(_ nonce: String, nowMs: Int64) -> Freshness {
    let bytes = Array(nonce.utf8)
    guard bytes.count == 64 else { return .invalid }
    let time = String(decoding: bytes[0..<16], as: UTF8.self)
    let stamp = String(decoding: bytes[0..<32], as: UTF8.self)
    guard let issued = UInt64(time, radix: 16), Self.timeText(Int64(bitPattern: issued)) == time,
      DigestVerifier.constantTimeEqual(signature(stamp), String(decoding: bytes[32...], as: UTF8.self))
    else { return .invalid }
    let age = nowMs - Int64(bitPattern: issued)
    guard age >= 0 else { return .invalid }
    return age <= lifetimeMs ? .fresh : .stale
  }

  private func signature(_ stamp: String) -> String {
    DigestHash.hexText(Array(DigestHash.sha256.hmac(key: secret, Array(stamp.utf8)).prefix(16)))
  }

  private static func timeText(_ ms: Int64) -> String {
    let hex = String(UInt64(bitPattern: ms), radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex
  }
}
