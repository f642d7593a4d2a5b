import Billing
import Logging
import Policy
import Routing
import SIPCore
import SIPTransaction

/// The switch's own addresses, Via values, and reason phrases (Record-Route:
/// `ProxyCore+RecordRoute`).
extension ProxyCore {
  func isLocal(_ uri: SIPURI) -> Bool {
    guard let host = uri.host?.lowercased() else { return false }
    let bare = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
    guard localHosts.contains(bare) else { return false }
    return localPorts.contains(uri.port ?? (uri.scheme.lowercased() == "sips" ? 5061 : 5060))
  }

  func isLocalSentBy(_ via: Via) -> Bool {
    let host = via.host.lowercased()
    let bare = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
    return localHosts.contains(bare) && localPorts.contains(via.port ?? 5060)
  }

  func localEndpoint(for destination: Endpoint) -> Endpoint {
    let locals = configuration.localEndpoints
    return locals.first { $0.transport == destination.transport && $0.isIPv6 == destination.isIPv6 }
      ?? locals.first { $0.isIPv6 == destination.isIPv6 }
      ?? locals.first
      ?? Endpoint(transport: destination.transport, host: "127.0.0.1", port: 5060)
  }

  func advertised(_ local: Endpoint) -> String {
    if let host = configuration.advertisedHost, !host.isEmpty { return "\(host):\(local.port)" }
    return local.hostPort
  }

  func via(for destination: Endpoint, branch: String) -> String {
    let local = localEndpoint(for: destination)
    return "SIP/2.0/\(destination.transport.viaToken) \(advertised(local));branch=\(branch)"
  }

  func endpoint(of uri: SIPURI) -> Endpoint? {
    guard let host = uri.host else { return nil }
    let transport =
      uri.parameter("transport")?.value.flatMap { TransportKind(rawValue: $0.lowercased()) } ?? .udp
    let bare = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
    return Endpoint(transport: transport, host: bare, port: uri.port ?? 5060)
  }

  func decrementMaxForwards(_ request: SIPMessage) {
    if let value = request.maxForwards {
      request.setMaxForwards(value - 1)
    } else {
      request.setMaxForwards(configuration.defaultMaxForwards)
    }
  }

  func loopHash(_ request: SIPMessage) -> UInt32 {
    BranchGenerator.loopHash([
      request.requestURIText, request.callID, request.fromTag, request.toTag,
      request.cseq.map { String($0.number ?? 0) },
    ])
  }

  static func reason(_ status: Int) -> String {
    switch status {
    case 403: "Forbidden"
    case 404: "Not Found"
    case 408: "Request Timeout"
    case 480: "Temporarily Unavailable"
    case 484: "Address Incomplete"
    case 486: "Busy Here"
    case 487: "Request Terminated"
    case 488: "Not Acceptable Here"
    case 500: "Server Internal Error"
    case 502: "Bad Gateway"
    case 503: "Service Unavailable"
    case 504: "Server Time-out"
    case 600: "Busy Everywhere"
    case 603: "Decline"
    default: "Error"
    }
  }
}
