import Policy
import SIPCore

/// The router of INVITEs for a registrar domain (RFC 3261 §16.5, §10): the
/// Request-URI's address of record (or, for an on-net call to a user's
/// number, `addresses`: that user's devices) gives the targets, its
/// registered contacts, best q first, rung in parallel by q group
/// (`Forking.parallel`); none registered is 480. The core
/// picks it in place of its `router` for the registrar's domains, so the
/// initial INVITE path treats both the same. Made for one INVITE on the
/// core's thread (the registrar is that thread's), hence unchecked.
struct RegistrarRouter: CallRouter, @unchecked Sendable {
  let registrar: Registrar
  /// The addresses of record to ring; nil: the Request-URI's.
  var addresses: [String]? = nil
  /// An authenticated softphone user placing an on-net call: the callee
  /// sees its number (docs/softphones.md "Number presentation").
  var caller: RetailCaller? = nil

  func route(invite: SIPMessage, source: Endpoint, context: RouteContext) -> RouteDecision {
    let bindings = (addresses ?? [invite.requestURIText ?? ""]).flatMap {
      registrar.lookup($0, nowMs: context.nowMs)
    }
    guard !bindings.isEmpty else { return .reject(status: 480, reason: "Temporarily Unavailable") }
    // Every device's bindings, best q first (stable: equal q keep their
    // order), forked in parallel by q group (docs/softphones.md "Forking").
    let ordered = bindings.enumerated().sorted { a, b in
      let qa = a.element.qThousandths ?? 1000
      let qb = b.element.qThousandths ?? 1000
      return qa != qb ? qa > qb : a.offset < b.offset
    }.map(\.element)
    var call = RoutedCall(
      targets: ordered.map {
        RouteTarget(destination: $0.source, requestURI: $0.contact, qThousandths: $0.qThousandths ?? 1000)
      }, forking: .parallel)
    if let caller {
      let number = caller.user.callerNumber?.number
      call.callerNumber = number
      call.edits.from = number.map { .user($0) } ?? .anonymous
      call.edits.headers = [.remove("P-Asserted-Identity"), .remove("Remote-Party-ID")]
    }
    return .route(call)
  }
}
