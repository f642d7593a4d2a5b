import SIPCore

/// The router of INVITEs for a registrar domain (RFC 3261 §16.5, §10): the
/// Request-URI's address of record gives the targets, its registered
/// contacts, best q first; none registered is 480. The core picks it in
/// place of its `router` for the registrar's domains, so the initial INVITE
/// path treats both the same. Made for one INVITE on the core's thread
/// (the registrar is that thread's), hence unchecked.
struct RegistrarRouter: CallRouter, @unchecked Sendable {
  let registrar: Registrar

  func route(invite: SIPMessage, source: Endpoint, context: RouteContext) -> RouteDecision {
    let bindings = registrar.lookup(invite.requestURIText ?? "", nowMs: context.nowMs)
    return bindings.isEmpty
      ? .reject(status: 480, reason: "Temporarily Unavailable")
      : .targets(bindings.map { RouteTarget(destination: $0.source, requestURI: $0.contact) })
  }
}
