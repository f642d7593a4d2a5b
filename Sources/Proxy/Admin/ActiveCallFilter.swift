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
  /// BYE went to both sides (false: the call's policy leaves the switch no
  /// way to end it; its record is closed all the same).
  case ended(byeSent: Bool)
  /// The call rings: not answered, nothing to BYE.
  case notAnswered
  case notFound
}
