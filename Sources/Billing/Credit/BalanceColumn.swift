/// Which stored balance an account's charges move.
public enum BalanceColumn: String, Sendable, CaseIterable {
  /// `carriers.customer_balance`
  case customer
  /// `carriers.supplier_balance`
  case supplier
  /// `carriers.bilateral_balance`
  case bilateral
  /// `wallets.balance`
  case wallet
}
