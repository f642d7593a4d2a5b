import Billing
import Routing

/// The credit ledger's database side (docs/credit.md): account loads and
/// refreshes, the holds that several switch nodes exchange, the 24-hour spend
/// columns and credit alert events. One connection, used on one thread;
/// every call blocks (keep it off the event loops). After a connection
/// problem (`PGError.isConnectionProblem`) make a new store.
public final class CreditStore {
  public let connection: PGConnection
  private let loader = CreditAccountLoader()

  /// Connects to `url` (a `postgresql://` URI or a conninfo string).
  public init(url: String) throws {
    connection = try PGConnection(url: url)
  }

  /// Every account with its terms, balance and active alerts (`CreditAccountLoader.loadAccounts`).
  public func loadAccounts() throws -> [CreditAccount] {
    try loader.loadAccounts(from: connection)
  }

  /// Every account's balance, version and 24-hour spend (`CreditAccountLoader.loadBalances`).
  public func loadBalances() throws -> [AccountRef: AccountBalance] {
    try loader.loadBalances(from: connection)
  }

  /// Writes this node's holds and returns the other nodes' recent ones.
  ///
  /// `holds` is the node's whole state: each account in it is upserted with
  /// `updated_at = now()`, and the node's rows for accounts absent from it or
  /// held at zero (or less) are deleted. Returns, per account, the sum held by
  /// the other nodes whose row was updated within `staleAfterSeconds` (a node
  /// that stopped exchanging drops out after that long). One transaction.
  public func exchangeHolds(node: String, holds: [AccountRef: Money], staleAfterSeconds: Int) throws
    -> [AccountRef: Money]
  {
    let held = holds.filter { $0.value > .zero }.sorted {
      ($0.key.kind.rawValue, $0.key.ownerID) < ($1.key.kind.rawValue, $1.key.ownerID)
    }
    let kinds = PGArray.literal(held.map(\.key.kind.rawValue))
    let owners = PGArray.literal(held.map(\.key.ownerID))
    return try transaction {
      try connection.query(
        PGQuery(
          unsafeSQL: """
            DELETE FROM credit_holds h
            WHERE h.node_id = $1 AND NOT EXISTS (
              SELECT 1 FROM unnest($2::text[], $3::text[]) AS k(kind, owner)
              WHERE k.kind = h.account_kind AND k.owner = h.owner_id)
            """,
          binds: [node, kinds, owners]))
      if !held.isEmpty {
        try connection.query(
          PGQuery(
            unsafeSQL: """
              INSERT INTO credit_holds (node_id, account_kind, owner_id, held, updated_at)
              SELECT $1, kind, owner, amount, now()
              FROM unnest($2::text[], $3::text[], $4::numeric[]) AS k(kind, owner, amount)
              ON CONFLICT (node_id, account_kind, owner_id)
              DO UPDATE SET held = excluded.held, updated_at = excluded.updated_at
              """,
            binds: [node, kinds, owners, PGArray.literal(held.map(\.value.description))]))
      }
      let others = try connection.query(
        """
        SELECT account_kind, owner_id, sum(held)::text FROM credit_holds
        WHERE node_id <> \(node) AND updated_at > now() - make_interval(secs => \(staleAfterSeconds))
        GROUP BY account_kind, owner_id
        """)
      var result: [AccountRef: Money] = [:]
      for row in 0..<others.rowCount {
        guard let kind = others.string(row, 0).flatMap(AccountRef.Kind.init(rawValue:)),
          let owner = others.string(row, 1), let amount = others.string(row, 2).flatMap({ Money($0) })
        else { continue }
        result[AccountRef(kind, owner)] = amount
      }
      return result
    }
  }

  /// Recomputes `customer_24hr_spend` / `supplier_24hr_spend` of every carrier
  /// from `carrier_spend_minutes` (0012_spend_minutes.sql) of the minutes from
  /// `date_trunc('minute', now() - 24 hours)` on, writing only the carriers
  /// whose figure changed (locked in id order); returns how many changed. Minutes
  /// older than 25 hours are deleted. One transaction, `didtron.reload_notify` off.
  public func refreshSpend() throws -> Int {
    try transaction {
      let changed = try connection.query(
        """
        WITH spend AS (
          SELECT c.id,
                 coalesce(sum(m.amount) FILTER (WHERE m.side = 'customer'), 0) AS customer,
                 coalesce(sum(m.amount) FILTER (WHERE m.side = 'supplier'), 0) AS supplier
          FROM carriers c
          LEFT JOIN carrier_spend_minutes m
            ON m.carrier_id = c.id AND m.minute >= date_trunc('minute', now() - interval '24 hours')
          GROUP BY c.id
        ), changed AS (
          SELECT c.id FROM carriers c JOIN spend s ON s.id = c.id
          WHERE c.customer_24hr_spend <> s.customer OR c.supplier_24hr_spend <> s.supplier
          ORDER BY c.id FOR UPDATE OF c
        )
        UPDATE carriers c SET customer_24hr_spend = s.customer, supplier_24hr_spend = s.supplier
        FROM spend s
        WHERE s.id = c.id AND c.id IN (SELECT id FROM changed)
        """
      ).affectedRows
      try connection.query("DELETE FROM carrier_spend_minutes WHERE minute < now() - interval '25 hours'")
      return changed
    }
  }

  /// Applies alert changes in one transaction (`didtron.reload_notify` off):
  /// a firing sets `triggered_at` of an armed alert and, only when this call
  /// armed-to-fired it (no other node or earlier call did), inserts one
  /// `credit_alert_events` row, whose trigger sends NOTIFY
  /// didtron_credit_alert; a re-arm clears `triggered_at`. A wallet's events
  /// go the same way to `wallets` and `wallet_events` (`applyWallet`).
  /// Changes of alerts that are gone or whose id is not a uuid do nothing.
  /// Returns how many events were inserted.
  public func apply(_ changes: [CreditAlertChange], node: String) throws -> Int {
    let wallets = changes.filter { $0.account.kind == .wallet && Int64($0.account.ownerID) != nil }
    let changes = changes.filter {
      $0.account.kind != .wallet && UUIDText.isValid($0.rule.id)
        && UUIDText.isValid($0.account.ownerID)
    }
    if changes.isEmpty && wallets.isEmpty { return 0 }
    return try transaction {
      var events = 0
      for change in wallets { events += try applyWallet(change, node: node) }
      for change in changes {
        switch change.change {
        case .fired(let value):
          // The UPDATE decides who fires it: once per crossing, whichever node is first.
          events += try connection.query(
            """
            WITH fired AS (
              UPDATE carrier_credit_alerts SET triggered_at = now()
              WHERE id = \(change.rule.id)::uuid AND triggered_at IS NULL
              RETURNING id, alert_type, threshold, template_id, recipients
            )
            INSERT INTO credit_alert_events
              (alert_id, carrier_id, alert_type, direction, threshold, value, currency, template_id, recipients,
               node_id)
            SELECT id, \(change.account.ownerID)::uuid, alert_type, \(change.account.kind.rawValue), threshold,
                   \(value.description)::numeric, \(change.currency), template_id, recipients, \(node)
            FROM fired
            """
          ).affectedRows
        case .rearmed:
          try connection.query(
            """
            UPDATE carrier_credit_alerts SET triggered_at = NULL
            WHERE id = \(change.rule.id)::uuid AND triggered_at IS NOT NULL
            """)
        }
      }
      return events
    }
  }

  /// A wallet's event (migration 0019): a firing sets its timestamp
  /// (`auto_recharge_requested_at` or `low_balance_notified_at`) when NULL
  /// and, only then, inserts one `wallet_events` row, whose trigger sends
  /// NOTIFY didtron_wallet_event; a re-arm sets it back to NULL.
  private func applyWallet(_ change: CreditAlertChange, node: String) throws -> Int {
    let column: String
    switch change.rule.id {
    case CreditAlertRule.walletAutoRecharge: column = "auto_recharge_requested_at"
    case CreditAlertRule.walletLowBalance: column = "low_balance_notified_at"
    default: return 0
    }
    switch change.change {
    case .fired(let value):
      return try connection.query(
        PGQuery(
          unsafeSQL: """
            WITH fired AS (
              UPDATE wallets SET \(column) = now() WHERE id = $1::bigint AND \(column) IS NULL
              RETURNING id, user_id, currency, auto_recharge_amount
            )
            INSERT INTO wallet_events
              (wallet_id, user_id, event_type, threshold, balance, currency, auto_recharge_amount, node_id)
            SELECT id, user_id, $2, $3::numeric, $4::numeric, currency,
                   CASE WHEN $2 = 'auto_recharge' THEN auto_recharge_amount END, $5
            FROM fired
            """,
          binds: [
            change.account.ownerID, change.rule.id, change.rule.threshold.description, value.description,
            node,
          ])
      ).affectedRows
    case .rearmed:
      try connection.query(
        PGQuery(
          unsafeSQL: "UPDATE wallets SET \(column) = NULL WHERE id = $1::bigint AND \(column) IS NOT NULL",
          binds: [change.account.ownerID]))
      return 0
    }
  }

  /// Runs `body` in a transaction with `didtron.reload_notify` off.
  private func transaction<T>(_ body: () throws -> T) throws -> T {
    try connection.transaction("BEGIN; SET LOCAL didtron.reload_notify = 'off'", body)
  }
}
