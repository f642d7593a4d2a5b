import SIPCore

/// Where an initial INVITE goes, decided by the layer above the proxy core
/// (the call pipeline; in proxy mode one fixed next hop).
public enum RouteDecision: Sendable, Equatable {
  /// Try these in order; fail over to the next on 408, 5xx, timeout or a
  /// transport error.
  case targets([RouteTarget])
  /// Refuse the call with this status and reason phrase.
  case reject(status: Int, reason: String)
}

public struct RouteTarget: Sendable, Equatable {
  public var destination: Endpoint
  /// A new Request-URI user (a translated number, a tech prefix), or `nil` to keep it.
  public var requestURIUser: String?

  public init(destination: Endpoint, requestURIUser: String? = nil) {
    self.destination = destination
    self.requestURIUser = requestURIUser
  }
}

/// Chooses the targets of an initial INVITE.
public protocol CallRouter {
  func route(invite: SIPMessage, source: Endpoint) -> RouteDecision
}

/// Proxy mode: every initial INVITE goes to one configured next hop.
public struct NextHopRouter: CallRouter {
  public var nextHop: Endpoint

  public init(nextHop: Endpoint) { self.nextHop = nextHop }

  public func route(invite: SIPMessage, source: Endpoint) -> RouteDecision {
    .targets([RouteTarget(destination: nextHop)])
  }
}
