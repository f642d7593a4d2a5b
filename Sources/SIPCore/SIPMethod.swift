/// A request method. Methods this switch knows are cases; anything else is
/// `.extension` (RFC 3261 §7.1: methods are case-sensitive tokens).
public enum SIPMethod: Sendable, Hashable, CustomStringConvertible {
  case invite, ack, bye, cancel, options, register, prack, update, info, refer, subscribe, notify,
    message, publish
  case `extension`(String)

  public init(_ token: String) {
    switch token {
    case "INVITE": self = .invite
    case "ACK": self = .ack
    case "BYE": self = .bye
    case "CANCEL": self = .cancel
    case "OPTIONS": self = .options
    case "REGISTER": self = .register
    case "PRACK": self = .prack
    case "UPDATE": self = .update
    case "INFO": self = .info
    case "REFER": self = .refer
    case "SUBSCRIBE": self = .subscribe
    case "NOTIFY": self = .notify
    case "MESSAGE": self = .message
    case "PUBLISH": self = .publish
    default: self = .extension(token)
    }
  }

  public var description: String {
    switch self {
    case .invite: "INVITE"
    case .ack: "ACK"
    case .bye: "BYE"
    case .cancel: "CANCEL"
    case .options: "OPTIONS"
    case .register: "REGISTER"
    case .prack: "PRACK"
    case .update: "UPDATE"
    case .info: "INFO"
    case .refer: "REFER"
    case .subscribe: "SUBSCRIBE"
    case .notify: "NOTIFY"
    case .message: "MESSAGE"
    case .publish: "PUBLISH"
    case .extension(let token): token
    }
  }
}

extension SIPMethod {
  /// The methods this switch handles or forwards: the one `Allow` list,
  /// answered to OPTIONS and on 405 and 501 (RFC 3261 §20.5).
  public static let allowed: [SIPMethod] = [
    .invite, .ack, .bye, .cancel, .options, .prack, .update, .info, .refer, .notify, .message,
  ]

  /// `allowed` as an `Allow` header value: "INVITE, ACK, BYE, ...".
  public static let allowHeaderValue = allowed.map(\.description).joined(separator: ", ")
}
