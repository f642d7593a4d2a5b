/// Names one account a call can be charged to (docs/credit.md):
///
/// - `customer`: a carrier's customer side (`carriers.customer_balance`, or
///   `bilateral_balance` for a bilateral carrier), charged the customer price
///   of calls that carrier sends in;
/// - `supplier`: a carrier's supplier side (`carriers.supplier_balance`, or
///   `bilateral_balance`, credited, for a bilateral carrier), charged the
///   cost of calls it carries;
/// - `wallet`: a user's wallet (seed 000 `wallets`, `id` as text), charged
///   the price of a softphone user's calls.
public struct AccountRef: Hashable, Sendable, CustomStringConvertible {
  public enum Kind: String, Sendable, CaseIterable {
    case customer, supplier, wallet
  }

  public var kind: Kind
  /// The carrier's uuid, or the wallet's id.
  public var ownerID: String

  public init(_ kind: Kind, _ ownerID: String) {
    self.kind = kind
    self.ownerID = ownerID
  }

  public var description: String { "\(kind.rawValue):\(ownerID)" }
}
