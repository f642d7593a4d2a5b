/// The filters of `GET /v1/calls`; nil: any.
public struct ActiveCallFilter: Sendable, Equatable {
  public var carrier: String?
  public var interconnect: String?
  public var user: String?
  public var number: String?

  public init(carrier: String? = nil, interconnect: String? = nil, user: String? = nil, number: String? = nil)
  {
    self.carrier = carrier
    self.interconnect = interconnect
    self.user = user
    self.number = number
  }
}

/// One page of calls and how many matched in all.
public struct ActiveCallPage: Sendable, Equatable {
  public var calls: [ActiveCall]
  public var total: Int
  public var offset: Int
  public var limit: Int
}

/// What `ProxyCore.hangup` did.
public enum AdminHangup: Sendable, Equatable {
  /// BYE went to both sides; the record says `ended_by` admin.
  case ended
  /// The call's policy gave the switch no way to end it (proxy mode without
  /// a maximum duration or session timer: no dialog state kept to BYE with).
  case cannotEnd
  /// The call was not answered yet: CANCEL went to the target, the caller
  /// gets 487 (RFC 3261 §16.10 as if it had cancelled), the record says
  /// `ended_by` admin.
  case cancelled
  /// The call's final answer is already on its way (or was cancelled before).
  case notAnswered
  case notFound
}
