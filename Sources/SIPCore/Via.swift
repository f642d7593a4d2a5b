/// One Via header field value (RFC 3261 §20.42) read out of a message.
public struct Via: Sendable, Equatable {
  /// The transport token of the sent-protocol (`UDP`, `TCP`, ...), upper-cased.
  public var transport: String
  public var version: String
  public var host: String
  public var port: Int?
  public var branch: String?
  public var received: String?
  /// `rport` present (RFC 3581); `rportValue` is its value when one is set.
  public var hasRport: Bool
  public var rportValue: Int?

  public init(
    transport: String, version: String, host: String, port: Int?, branch: String?, received: String?,
    hasRport: Bool, rportValue: Int?
  ) {
    self.transport = transport
    self.version = version
    self.host = host
    self.port = port
    self.branch = branch
    self.received = received
    self.hasRport = hasRport
    self.rportValue = rportValue
  }

  /// `host:port` as the transaction key uses it (§17.2.3), lower-cased.
  public var sentBy: String {
    let lowerHost = host.lowercased()
    let shown = lowerHost.contains(":") && !lowerHost.hasPrefix("[") ? "[\(lowerHost)]" : lowerHost
    return "\(shown):\(port ?? 5060)"
  }

  /// RFC 3261 §17.2.3 / RFC 4475 §3.2.1: a branch from an RFC 3261 element
  /// starts with the magic cookie and has more after it.
  public var hasRFC3261Branch: Bool {
    guard let branch else { return false }
    return branch.hasPrefix("z9hG4bK") && branch.count > 7
  }

  /// Where a response to this Via goes (RFC 3261 §18.2.2, RFC 3581 §4): the
  /// `received` address (else the sent-by host), and the `rport` value (else
  /// the sent-by port, else 5060).
  public func responseDestination(transport kind: TransportKind) -> Endpoint {
    Endpoint(
      transport: kind, host: received ?? host.trimmingBrackets(), port: rportValue ?? port ?? 5060)
  }
}

extension String {
  func trimmingBrackets() -> String {
    hasPrefix("[") && hasSuffix("]") ? String(dropFirst().dropLast()) : self
  }
}
