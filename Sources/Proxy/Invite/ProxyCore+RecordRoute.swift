import SIPCore

/// The Record-Route of an initial INVITE (RFC 3261 §16.6 step 4, RFC 5658
/// double Record-Route, RFC 5630 SIPS).
///
/// - One entry per side when the caller's side and the callee's differ in
///   transport, address family or scheme; one entry otherwise.
/// - An entry on a TLS side is a `sips:` URI (no `transport` parameter:
///   `sips:` means TLS; RFC 5630 deprecates `transport=tls`) when the request
///   on that side carries a SIPS URI: on the caller's side the Request-URI or
///   top Route it sent, on the callee's side the Request-URI sent to the
///   first target. Otherwise it
///   is `sip:` with `transport=tls` (§16.6 step 4: a request received over TLS
///   and sent without a SIPS URI gets a Record-Route that is not SIPS).
/// - In-dialog requests that come back with these entries in their Route are
///   recognised as ours whatever the scheme (`isLocal`, loose routing).
extension ProxyCore {
  /// Adds the switch's entries on top of the INVITE's Record-Route, for its
  /// first target.
  func insertRecordRoute(_ request: SIPMessage, arrivedOn local: Endpoint, firstTarget target: RouteTarget) {
    let outbound = localEndpoint(for: target.destination)
    let callerSIPS = local.transport == .tls && Self.carriesSIPS(request)
    let calleeSIPS =
      outbound.transport == .tls
      && (target.requestURI.map(Self.isSIPS) ?? (request.requestURIIsSIPS || Self.topRouteIsSIPS(request)))
    if outbound.transport != local.transport || outbound.isIPv6 != local.isIPv6 || callerSIPS != calleeSIPS {
      request.prependRecordRoute(recordRoute(local, sips: callerSIPS))
    }
    request.prependRecordRoute(recordRoute(outbound, sips: calleeSIPS))
  }

  /// This switch's Record-Route value on `local`: `sips:` (TLS implied) or
  /// `sip:` with the transport when it is not UDP.
  func recordRoute(_ local: Endpoint, sips: Bool = false) -> String {
    if sips, local.transport == .tls { return "<sips:\(advertised(local));lr>" }
    let transport = local.transport == .udp ? "" : ";transport=\(local.transport.rawValue)"
    return "<sip:\(advertised(local))\(transport);lr>"
  }

  /// Whether a request as received carries a SIPS URI: its Request-URI or its
  /// top Route (§16.6 step 4).
  static func carriesSIPS(_ request: SIPMessage) -> Bool {
    request.requestURIIsSIPS || topRouteIsSIPS(request)
  }

  private static func topRouteIsSIPS(_ request: SIPMessage) -> Bool {
    request.topRoute?.scheme.lowercased() == "sips"
  }

  private static func isSIPS(_ uri: String) -> Bool {
    uri.prefix(5).lowercased() == "sips:"
  }
}
