/// A URI read out of a message: a SIP/SIPS URI's parts, or for another scheme
/// only `scheme` and `opaque` (RFC 3261 §19.1).
public struct SIPURI: Sendable, Hashable, CustomStringConvertible {
  public var scheme: String
  public var user: String?
  public var host: String?
  public var port: Int?
  /// URI parameters in order; a parameter without a value has `nil`.
  public var parameters: [URIParameter]
  /// The URI carries `?name=value` headers (not allowed in a Request-URI, §19.1.1).
  public var hasHeaders: Bool

  public init(
    scheme: String, user: String?, host: String?, port: Int?, parameters: [URIParameter],
    hasHeaders: Bool = false
  ) {
    self.hasHeaders = hasHeaders
    self.scheme = scheme
    self.user = user
    self.host = host
    self.port = port
    self.parameters = parameters
  }

  public var isSIP: Bool {
    let lower = scheme.lowercased()
    return lower == "sip" || lower == "sips"
  }

  public func parameter(_ name: String) -> URIParameter? {
    parameters.first { $0.name.lowercased() == name }
  }

  /// RFC 3261 §16.4/§19.1.1: the `lr` parameter marks a loose router.
  public var isLooseRouter: Bool { parameter("lr") != nil }

  /// A readable form for logs (unescaped; `SIPMessage.requestURIText` gives the wire form).
  public var description: String {
    var text = scheme + ":"
    if let user { text += user + "@" }
    text += host ?? ""
    if let port { text += ":\(port)" }
    for parameter in parameters { text += ";" + parameter.name + (parameter.value.map { "=" + $0 } ?? "") }
    return text
  }
}

public struct URIParameter: Sendable, Hashable {
  public var name: String
  public var value: String?

  public init(name: String, value: String?) {
    self.name = name
    self.value = value
  }
}
