import Routing

/// One `carrier_credit_alerts` row, or one of a wallet's events (migration
/// 0019: its id is `walletAutoRecharge` or `walletLowBalance`).
public struct CreditAlertRule: Sendable, Equatable {
  /// The id of a wallet's auto-recharge request (`wallet_events.event_type`).
  public static let walletAutoRecharge = "auto_recharge"
  /// The id of a wallet's low-balance warning (`wallet_events.event_type`).
  public static let walletLowBalance = "low_balance"

  /// Seed 001 alert types.
  public enum Kind: String, Sendable, CaseIterable {
    case lowBalance = "low_balance"
    case highBalance = "high_balance"
    case spendBreach = "24hr_spend_breach"
  }

  public var id: String
  public var kind: Kind
  public var threshold: Money
  public var templateID: String?
  /// `recipients` as stored (a JSON array text).
  public var recipients: String
  /// False while the alert has fired and its condition still holds
  /// (`triggered_at` set); it re-arms when the condition clears.
  public var armed: Bool

  public init(
    id: String, kind: Kind, threshold: Money, templateID: String? = nil, recipients: String = "[]",
    armed: Bool = true
  ) {
    self.id = id
    self.kind = kind
    self.threshold = threshold
    self.templateID = templateID
    self.recipients = recipients
    self.armed = armed
  }

  /// Whether the alert's condition holds for a settled balance and 24-hour spend.
  public func holds(balance: Money, spent24h: Money) -> Bool {
    switch kind {
    case .lowBalance: balance < threshold
    case .highBalance: balance > threshold
    case .spendBreach: spent24h >= threshold
    }
  }
}

/// A change of one alert's state, for the store to write (docs/credit.md).
public struct CreditAlertChange: Sendable, Equatable {
  public enum Change: Sendable, Equatable {
    /// The condition began to hold: one `credit_alert_events` row and a NOTIFY.
    case fired(value: Money)
    /// The condition cleared: the alert is armed again.
    case rearmed
  }

  public var account: AccountRef
  public var rule: CreditAlertRule
  public var change: Change
  public var currency: String
  public var atUnixMs: Int64

  public init(account: AccountRef, rule: CreditAlertRule, change: Change, currency: String, atUnixMs: Int64) {
    self.account = account
    self.rule = rule
    self.change = change
    self.currency = currency
    self.atUnixMs = atUnixMs
  }
}
