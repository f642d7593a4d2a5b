import SIPCore

/// Changes the call pipeline asks for on a forwarded INVITE, as values the
/// proxy core applies to the message: the caller's number or anonymity in
/// From, identity and option headers, and a rewritten SDP body.
public struct MessageEdits: Sendable, Equatable {
  public enum FromChange: Sendable, Equatable {
    /// From's user part becomes this number.
    case user(String)
    /// `"Anonymous" <sip:anonymous@anonymous.invalid>` (RFC 3323 §4.1.1.3), tag kept.
    case anonymous
  }

  public enum HeaderChange: Sendable, Equatable {
    /// Every header of this name goes.
    case remove(String)
    /// Every header of this name goes, then one with this value is added.
    case set(String, String)
  }

  public enum BodyChange: Sendable, Equatable {
    case replace([UInt8], contentType: String)
    case remove
  }

  public var from: FromChange?
  public var headers: [HeaderChange]
  public var body: BodyChange?

  public init(from: FromChange? = nil, headers: [HeaderChange] = [], body: BodyChange? = nil) {
    self.from = from
    self.headers = headers
    self.body = body
  }

  public var isEmpty: Bool { from == nil && headers.isEmpty && body == nil }

  /// Applies the changes in place.
  public func apply(to message: SIPMessage) {
    switch from {
    case .user(let user)?: message.setFrom(user: user, host: nil, displayName: nil)
    case .anonymous?: message.anonymizeFrom()
    case nil: break
    }
    for change in headers {
      switch change {
      case .remove(let name): message.removeHeaders(named: name)
      case .set(let name, let value): message.setHeader(name, value)
      }
    }
    switch body {
    case .replace(let bytes, let contentType)?: message.replaceBody(bytes, contentType: contentType)
    case .remove?: message.removeBody()
    case nil: break
    }
  }
}
