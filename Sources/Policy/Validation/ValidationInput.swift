import SIPCore

/// What the validation checks read from an initial INVITE.
public struct ValidationInput: Sendable {
  /// The From URI as `scheme:user@host[:port]` (see `uriText`).
  public var fromURI: String
  /// The first Contact URI as `scheme:user@host[:port]`; nil without a Contact.
  public var contactURI: String?
  /// The Request-URI user part with its user parameters (`+15551234;tgrp=TG1`).
  public var requestURIUser: String
  /// The first Contact URI's user part with its user parameters.
  public var contactUser: String?
  /// The first Contact URI's parameters (`;tgrp=TG1` after the host).
  public var contactParameters: [(name: String, value: String?)]
  /// The INVITE is a test call (header `X-Test-Call` with a value other than `0`, `no`, `false`).
  public var isTestCall: Bool

  public init(
    fromURI: String, contactURI: String? = nil, requestURIUser: String, contactUser: String? = nil,
    contactParameters: [(name: String, value: String?)] = [], isTestCall: Bool = false
  ) {
    self.fromURI = fromURI
    self.contactURI = contactURI
    self.requestURIUser = requestURIUser
    self.contactUser = contactUser
    self.contactParameters = contactParameters
    self.isTestCall = isTestCall
  }

  /// The text the `from_uri` and `contact_uri` patterns are searched in:
  /// `scheme:user@host[:port]`, scheme lower-cased, user as written (with
  /// user parameters), an IPv6 host in brackets, no URI parameters or headers.
  public static func uriText(scheme: String, user: String?, host: String?, port: Int?) -> String {
    var text = scheme.lowercased() + ":"
    if let user, !user.isEmpty { text += user + "@" }
    if let host {
      text += host.contains(":") && !host.hasPrefix("[") ? "[" + host + "]" : host
    }
    if let port { text += ":\(port)" }
    return text
  }

  /// `uriText(scheme:user:host:port:)` of a URI read from the message.
  public static func uriText(_ uri: SIPURI) -> String {
    uriText(scheme: uri.scheme, user: uri.user, host: uri.host, port: uri.port)
  }
}
