/// A `users` row as a caller (docs/softphones.md): whether it may call, the
/// customer carrier whose ingress service routes and rates its calls, and
/// the number it presents.
public struct RetailUser: Sendable, Equatable {
  public var id: String
  /// `users.status = 'active'`.
  public var isActive: Bool
  /// `users.carrier_id`: the retail carrier (a customer) the user belongs to.
  public var carrierID: String?
  /// `users.carrier_service_id` (migration 0017): an ingress carrier
  /// service that routes and rates this user's calls in place of its
  /// carrier's.
  public var carrierServiceID: String?
  /// The number presented as caller id: the primary active number, else
  /// the active number with the lowest id, else none (the call is
  /// presented anonymous). Set by `RetailDirectory`.
  public var callerNumber: PhoneNumber?
  /// `wallets.id` of the user's wallet (one per user, migration 0005): the
  /// account its calls are charged to; nil when the user has none (its
  /// calls are refused `402 No Wallet`, docs/softphones.md).
  public var walletID: String?
  /// The `phone_calls_limit` of the user's active subscription plan
  /// (migration 0020): the answered calls it may place per calendar month
  /// (UTC); nil when unlimited (-1, no plan, or a plan not active).
  public var monthlyCallLimit: Int?

  public init(
    id: String, isActive: Bool = true, carrierID: String? = nil, carrierServiceID: String? = nil,
    callerNumber: PhoneNumber? = nil, walletID: String? = nil, monthlyCallLimit: Int? = nil
  ) {
    self.monthlyCallLimit = monthlyCallLimit
    self.id = id
    self.isActive = isActive
    self.carrierID = carrierID
    self.carrierServiceID = carrierServiceID
    self.callerNumber = callerNumber
    self.walletID = walletID
  }
}
