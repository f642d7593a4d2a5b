import Proxy

/// What a `GET /v1/events` subscriber wants: events of calls on a carrier
/// or interconnect (either leg), of a softphone user, in some states; nil: any.
struct CallEventFilter: Equatable, Sendable {
  var carrier: String?
  var interconnect: String?
  var user: String?
  var states: Set<CallEvent.State>?

  func matches(_ event: CallEvent) -> Bool {
    if let states, !states.contains(event.state) { return false }
    if let carrier, event.ingress?.carrierID != carrier, event.egress?.carrierID != carrier { return false }
    if let interconnect, event.ingress?.interconnectID != interconnect,
      event.egress?.interconnectID != interconnect
    {
      return false
    }
    if let user, event.userID != user { return false }
    return true
  }
}
