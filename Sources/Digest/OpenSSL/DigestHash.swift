import COpenSSL

/// The hash functions of SIP digest authentication (RFC 3261 §22, RFC 8760),
/// computed by OpenSSL's EVP interface. The only place COpenSSL is imported.
public enum DigestHash: String, Sendable, Equatable, CaseIterable {
  /// `algorithm=MD5` (RFC 2617; what most SIP phones still send).
  case md5 = "MD5"
  /// `algorithm=SHA-256` (RFC 7616, RFC 8760).
  case sha256 = "SHA-256"

  /// The algorithm token as a challenge or credentials write it
  /// (case-insensitive when read).
  public init?(token: String) {
    switch token.uppercased() {
    case "MD5": self = .md5
    case "SHA-256": self = .sha256
    default: return nil
    }
  }

  /// The digest of `bytes`.
  public func digest(_ bytes: some Collection<UInt8>) -> [UInt8] {
    let input = Array(bytes)
    var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
    var length: UInt32 = 0
    let ok = input.withUnsafeBytes { raw in
      EVP_Digest(raw.baseAddress, raw.count, &out, &length, self == .md5 ? EVP_md5() : EVP_sha256(), nil)
    }
    precondition(ok == 1, "EVP_Digest failed")
    return Array(out.prefix(Int(length)))
  }

  /// The digest of `text`'s UTF-8 bytes as lower-case hex: H(data) of RFC 7616.
  public func hex(_ text: String) -> String {
    Self.hexText(digest(Array(text.utf8)))
  }

  /// HMAC (RFC 2104) with this hash: the nonces' signature.
  public func hmac(key: [UInt8], _ message: [UInt8]) -> [UInt8] {
    let block = 64
    var key = key.count > block ? digest(key) : key
    key += [UInt8](repeating: 0, count: block - key.count)
    let inner = digest(key.map { $0 ^ 0x36 } + message)
    return digest(key.map { $0 ^ 0x5C } + inner)
  }

  /// `count` bytes from OpenSSL's CSPRNG.
  public static func randomBytes(_ count: Int) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: count)
    let ok = bytes.withUnsafeMutableBytes { RAND_bytes($0.baseAddress, Int32(count)) }
    precondition(ok == 1, "RAND_bytes failed")
    return bytes
  }

  static func hexText(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count * 2)
    for byte in bytes {
      out.append(digits[Int(byte >> 4)])
      out.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: out, as: UTF8.self)
  }
}
