import COpenSSL

/// Why a TLS context could not be built or a TLS connection failed. The text
/// carries OpenSSL's own reason (`certificate verify failed`, `wrong version number`).
public struct TLSError: Error, Sendable, CustomStringConvertible {
  public enum Kind: String, Sendable {
    /// A certificate, key or CA file could not be read or does not fit.
    case configuration
    /// The handshake failed (protocol, certificate, or not TLS at all).
    case handshake
    /// The handshake did not finish within its deadline.
    case handshakeTimeout
    /// A protocol error after the handshake.
    case connection
  }

  public var kind: Kind
  public var message: String

  public init(_ kind: Kind, _ message: String) {
    self.kind = kind
    self.message = message
  }

  public var description: String { "TLS \(kind.rawValue) error: \(message)" }

  /// `message`, followed by the reasons in this thread's OpenSSL error queue
  /// (which is emptied).
  static func fromQueue(_ kind: Kind, _ message: String) -> TLSError {
    let reasons = Self.drainQueue()
    return TLSError(kind, reasons.isEmpty ? message : "\(message): \(reasons.joined(separator: "; "))")
  }

  /// Empties this thread's OpenSSL error queue and returns its reasons.
  static func drainQueue() -> [String] {
    var reasons: [String] = []
    while true {
      let code = ERR_get_error()
      guard code != 0 else { break }
      if reasons.count < 4, let reason = ERR_reason_error_string(code) {
        reasons.append(String(cString: reason))
      } else if reasons.count < 4 {
        reasons.append("error \(code)")
      }
    }
    return reasons
  }
}
