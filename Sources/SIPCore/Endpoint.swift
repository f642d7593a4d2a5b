/// The transport protocols a SIP message can travel over.
public enum TransportKind: String, Sendable, Hashable, CaseIterable {
  case udp
  case tcp
  case tls

  /// RFC 3261 §18: a stream transport is reliable; its timers differ.
  public var isReliable: Bool { self != .udp }

  /// The token used in a Via sent-protocol (`SIP/2.0/UDP`).
  public var viaToken: String {
    switch self {
    case .udp: "UDP"
    case .tcp: "TCP"
    case .tls: "TLS"
    }
  }

  public init?(viaToken: String) {
    switch viaToken.uppercased() {
    case "UDP": self = .udp
    case "TCP": self = .tcp
    case "TLS": self = .tls
    default: return nil
    }
  }
}

/// A transport address: where a message came from or goes to.
///
/// `host` is a numeric IP literal (IPv6 without brackets) for every endpoint
/// that the transport layer produces; configuration may name a host that is
/// resolved before use.
public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
  public var transport: TransportKind
  public var host: String
  public var port: Int

  public init(transport: TransportKind, host: String, port: Int) {
    self.transport = transport
    self.host = host
    self.port = port
  }

  public var isIPv6: Bool { host.contains(":") }

  /// `host:port`, with IPv6 hosts in brackets, as used in Via and URIs.
  public var hostPort: String { isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }

  public var description: String { "\(transport.rawValue):\(hostPort)" }

  /// Parses `udp:127.0.0.1:5070`, `tcp:[::1]:5070`, or `127.0.0.1:5080;transport=tcp`.
  /// A missing transport is `defaultTransport`; a missing port is 5060.
  public init?(parsing text: String, defaultTransport: TransportKind = .udp) {
    var rest = text.trimmingWhitespace()
    var transport = defaultTransport
    if let semi = rest.firstIndex(of: ";") {
      let params = rest[rest.index(after: semi)...]
      rest = rest[..<semi]
      for param in params.split(separator: ";") {
        let kv = param.split(separator: "=", maxSplits: 1)
        if kv.count == 2, kv[0].lowercased() == "transport" {
          guard let t = TransportKind(rawValue: kv[1].lowercased()) else { return nil }
          transport = t
        }
      }
    }
    for kind in TransportKind.allCases where rest.lowercased().hasPrefix(kind.rawValue + ":") {
      transport = kind
      rest = rest.dropFirst(kind.rawValue.count + 1)
      break
    }
    var host: Substring
    var portText: Substring?
    if rest.hasPrefix("[") {
      guard let close = rest.firstIndex(of: "]") else { return nil }
      host = rest[rest.index(after: rest.startIndex)..<close]
      let after = rest[rest.index(after: close)...]
      if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty { return nil }
    } else {
      let parts = rest.split(separator: ":", omittingEmptySubsequences: false)
      guard parts.count <= 2 else { return nil }
      host = parts[0]
      if parts.count == 2 { portText = parts[1] }
    }
    guard !host.isEmpty else { return nil }
    var port = 5060
    if let portText {
      guard let p = Int(portText), (1...65535).contains(p) else { return nil }
      port = p
    }
    self.init(transport: transport, host: String(host), port: port)
  }
}
