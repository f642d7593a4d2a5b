/// Seed 001 `credit_type`.
public enum CreditType: String, Sendable, CaseIterable {
  case prepaid, postpaid
}
