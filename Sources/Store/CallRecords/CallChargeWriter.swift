import Billing
import Routing

/// Applies the account charges of newly inserted call records, inside the
/// caller's open transaction (the one that inserted the `calls` rows), so a
/// balance moves exactly when its call record is stored (docs/credit.md):
///
/// - carriers: the rows are locked in id order (`FOR UPDATE`, so two writers
///   never deadlock), then one multi-row `UPDATE` moves every charged balance
///   column by its net amount and adds the charges to the customer and
///   supplier 24-hour spend; a `carrier_transactions` row per charge records
///   `balance_after`, worked out in record order (its trigger adds it to
///   `carrier_spend_minutes`, from which `CreditStore.refreshSpend` lets old
///   spend leave the window).
/// - wallets: the same, with a `transactions` row per charge (`uuid` = the
///   call's uuid, `reference_type` 'call', `reference_id` = `calls.id`).
///
/// Charges of one record to one account (same column and direction) are
/// summed into one row. A record charges at most one carrier account per
/// side: `carrier_transactions` is unique on (call_uuid, side), so a second
/// one is a constraint violation that sets the record aside.
///
/// Every statement has a fixed text; the rows travel as array binds.
/// A charge whose account row is missing (or whose account cannot name a row:
/// not a uuid, not a wallet id, a column that does not fit its kind, a
/// negative amount) is skipped and counted; its record stays.
struct CallChargeWriter {
  let connection: PGConnection

  /// One new call record: its uuid, `calls.id` and charges (one per account).
  struct NewCall {
    var uuid: String
    var callID: String
    var charges: [AccountCharge]
  }

  struct Outcome {
    var balances: [AccountRef: AccountBalance] = [:]
    var unapplied = 0
  }

  func apply(_ calls: [NewCall]) throws -> Outcome {
    var outcome = Outcome()
    var carrierCharges: [(call: NewCall, charge: AccountCharge)] = []
    var walletCharges: [(call: NewCall, charge: AccountCharge, wallet: Int64)] = []
    for call in calls {
      for charge in Self.merged(call.charges) {
        guard charge.amount >= .zero else {
          outcome.unapplied += 1
          continue
        }
        switch charge.account.kind {
        case .wallet:
          guard charge.column == .wallet, let wallet = Int64(charge.account.ownerID) else {
            outcome.unapplied += 1
            continue
          }
          walletCharges.append((call, charge, wallet))
        case .customer, .supplier:
          guard charge.column != .wallet, UUIDText.isValid(charge.account.ownerID) else {
            outcome.unapplied += 1
            continue
          }
          carrierCharges.append((call, charge))
        }
      }
    }
    if !carrierCharges.isEmpty { try applyCarriers(carrierCharges, &outcome) }
    if !walletCharges.isEmpty { try applyWallets(walletCharges, &outcome) }
    return outcome
  }

  /// The charges of one record with those of one account, column and
  /// direction summed (a record charges an account once).
  static func merged(_ charges: [AccountCharge]) -> [AccountCharge] {
    var merged: [AccountCharge] = []
    for charge in charges {
      if let index = merged.firstIndex(where: {
        $0.account == charge.account && $0.column == charge.column && $0.credits == charge.credits
      }) {
        merged[index].amount = merged[index].amount + charge.amount
      } else {
        merged.append(charge)
      }
    }
    return merged
  }

  /// The signed change a charge makes to its balance.
  private static func delta(_ charge: AccountCharge) -> Money {
    charge.credits ? charge.amount : Money(micros: -charge.amount.micros)
  }

  // MARK: carriers

  private static let columns: [BalanceColumn] = [.customer, .supplier, .bilateral]

  /// Per carrier and column, the net change of a batch's charges; per
  /// carrier, the spend each side adds.
  private typealias CarrierDeltas = (
    balances: [String: [BalanceColumn: Money]], spend: [String: (customer: Money, supplier: Money)]
  )

  /// Each carrier's column before the batch, its balance version and its
  /// 24-hour spend after it, as the UPDATE returned them.
  private typealias CarrierState = (
    running: [String: [BalanceColumn: Money]], versions: [String: Int64],
    spent: [String: (customer: Money, supplier: Money)]
  )

  private func applyCarriers(_ charges: [(call: NewCall, charge: AccountCharge)], _ outcome: inout Outcome)
    throws
  {
    // Net change per carrier and column, and the spend each side adds.
    var deltas: [String: [BalanceColumn: Money]] = [:]
    var spendDeltas: [String: (customer: Money, supplier: Money)] = [:]
    for (_, charge) in charges {
      let id = charge.account.ownerID.lowercased()
      deltas[id, default: [:]][charge.column, default: .zero] += Self.delta(charge)
      if charge.account.kind == .customer {
        spendDeltas[id, default: (.zero, .zero)].customer += charge.amount
      } else {
        spendDeltas[id, default: (.zero, .zero)].supplier += charge.amount
      }
    }
    let state = try updateCarriers((deltas, spendDeltas))
    var running = state.running
    let versions = state.versions
    let spent = state.spent
    let rows = transactionRows(charges, &running, &outcome)
    if rows.carrierIDs.isEmpty { return }
    try insertCarrierTransactions(rows)
    for (account, target) in rows.charged {
      guard let amount = running[target.id]?[target.column], let version = versions[target.id] else {
        continue
      }
      let spend = spent[target.id].map { account.kind == .customer ? $0.customer : $0.supplier } ?? .zero
      outcome.balances[account] = AccountBalance(amount: amount, version: version, spent24h: spend)
    }
  }

  /// Locks the batch's carriers and applies its net changes in one UPDATE.
  private func updateCarriers(_ batch: CarrierDeltas) throws -> CarrierState {
    let deltas = batch.balances
    let spendDeltas = batch.spend
    let ids = deltas.keys.sorted()
    try connection.query(
      PGQuery(
        unsafeSQL: "SELECT id FROM carriers WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE",
        binds: [PGArray.literal(ids)]))
    // The 24-hour spend grows with the batch here; CreditStore.refreshSpend
    // lets old spend leave it (0012_spend_minutes.sql).
    let updated = try connection.query(
      PGQuery(
        unsafeSQL: """
          UPDATE carriers c
          SET customer_balance = c.customer_balance + d.customer,
              supplier_balance = c.supplier_balance + d.supplier,
              bilateral_balance = c.bilateral_balance + d.bilateral,
              customer_24hr_spend = c.customer_24hr_spend + d.customer_spend,
              supplier_24hr_spend = c.supplier_24hr_spend + d.supplier_spend
          FROM unnest($1::uuid[], $2::numeric[], $3::numeric[], $4::numeric[], $5::numeric[], $6::numeric[])
            AS d(id, customer, supplier, bilateral, customer_spend, supplier_spend)
          WHERE c.id = d.id
          RETURNING c.id::text, c.customer_balance::text, c.supplier_balance::text, c.bilateral_balance::text,
                    c.balance_version, c.customer_24hr_spend::text, c.supplier_24hr_spend::text
          """,
        binds: [PGArray.literal(ids)]
          + Self.columns.map { column in
            PGArray.literal(ids.map { (deltas[$0]?[column] ?? .zero).description })
          }
          + [
            PGArray.literal(ids.map { (spendDeltas[$0]?.customer ?? .zero).description }),
            PGArray.literal(ids.map { (spendDeltas[$0]?.supplier ?? .zero).description }),
          ]))
    // The balance of each carrier's column before this batch, then after each row.
    var running: [String: [BalanceColumn: Money]] = [:]
    var versions: [String: Int64] = [:]
    var spent: [String: (customer: Money, supplier: Money)] = [:]
    for row in 0..<updated.rowCount {
      guard let id = updated.string(row, 0) else { continue }
      for (offset, column) in Self.columns.enumerated() {
        let final = try money(updated, row, 1 + offset)
        running[id, default: [:]][column] = final - (deltas[id]?[column] ?? .zero)
      }
      versions[id] = try int64(updated, row, 4)
      spent[id] = (try money(updated, row, 5), try money(updated, row, 6))
    }
    return (running, versions, spent)
  }

  /// The `carrier_transactions` rows of a batch, one per charge whose
  /// carrier the UPDATE found, each with its balance after it.
  private struct TransactionRows {
    var carrierIDs: [String?] = []
    var sides: [String?] = []
    var balanceColumns: [String?] = []
    var types: [String?] = []
    var amounts: [String?] = []
    var currencies: [String?] = []
    var balancesAfter: [String?] = []
    var callUUIDs: [String?] = []
    var charged: [AccountRef: (id: String, column: BalanceColumn)] = [:]
  }

  private func transactionRows(
    _ charges: [(call: NewCall, charge: AccountCharge)], _ running: inout [String: [BalanceColumn: Money]],
    _ outcome: inout Outcome
  ) -> TransactionRows {
    var rows = TransactionRows()
    for (call, charge) in charges {
      let id = charge.account.ownerID.lowercased()
      guard let before = running[id]?[charge.column] else {
        outcome.unapplied += 1
        continue
      }
      let after = before + Self.delta(charge)
      running[id]?[charge.column] = after
      rows.carrierIDs.append(id)
      rows.sides.append(charge.account.kind.rawValue)
      rows.balanceColumns.append(charge.column.rawValue)
      rows.types.append(charge.credits ? "credit" : "debit")
      rows.amounts.append(charge.amount.description)
      rows.currencies.append(charge.currency)
      rows.balancesAfter.append(after.description)
      rows.callUUIDs.append(call.uuid)
      rows.charged[charge.account] = (id, charge.column)
    }
    return rows
  }

  private func insertCarrierTransactions(_ rows: TransactionRows) throws {
    try connection.query(
      PGQuery(
        unsafeSQL: """
          INSERT INTO carrier_transactions
            (carrier_id, side, balance_column, type, category, amount, currency, balance_after, call_uuid)
          SELECT carrier_id, side, balance_column, type, 'call', amount, currency, balance_after, call_uuid
          FROM unnest($1::uuid[], $2::text[], $3::text[], $4::transaction_type[], $5::numeric[], $6::text[],
                      $7::numeric[], $8::uuid[])
            AS r(carrier_id, side, balance_column, type, amount, currency, balance_after, call_uuid)
          """,
        binds: [
          PGArray.literal(rows.carrierIDs), PGArray.literal(rows.sides), PGArray.literal(rows.balanceColumns),
          PGArray.literal(rows.types), PGArray.literal(rows.amounts), PGArray.literal(rows.currencies),
          PGArray.literal(rows.balancesAfter), PGArray.literal(rows.callUUIDs),
        ]))
  }

  // MARK: wallets

  private func applyWallets(
    _ charges: [(call: NewCall, charge: AccountCharge, wallet: Int64)], _ outcome: inout Outcome
  ) throws {
    var deltas: [Int64: Money] = [:]
    for (_, charge, wallet) in charges {
      deltas[wallet, default: .zero] = deltas[wallet, default: .zero] + Self.delta(charge)
    }
    let ids = deltas.keys.sorted()
    try connection.query(
      PGQuery(
        unsafeSQL: "SELECT id FROM wallets WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE",
        binds: [PGArray.literal(ids.map { String($0) })]))
    let updated = try connection.query(
      PGQuery(
        unsafeSQL: """
          UPDATE wallets w SET balance = w.balance + d.delta
          FROM unnest($1::bigint[], $2::numeric[]) AS d(id, delta)
          WHERE w.id = d.id
          RETURNING w.id, w.balance::text, w.balance_version, w.user_id
          """,
        binds: [
          PGArray.literal(ids.map { String($0) }), PGArray.literal(ids.map { deltas[$0]!.description }),
        ]))
    var running: [Int64: Money] = [:]
    var versions: [Int64: Int64] = [:]
    var users: [Int64: String] = [:]
    for row in 0..<updated.rowCount {
      let id = try int64(updated, row, 0)
      running[id] = try money(updated, row, 1) - (deltas[id] ?? .zero)
      versions[id] = try int64(updated, row, 2)
      users[id] = updated.string(row, 3)
    }
    var uuids: [String?] = []
    var userIDs: [String?] = []
    var walletIDs: [String?] = []
    var types: [String?] = []
    var amounts: [String?] = []
    var balancesAfter: [String?] = []
    var callIDs: [String?] = []
    var charged: [AccountRef: Int64] = [:]
    for (call, charge, wallet) in charges {
      guard let before = running[wallet] else {
        outcome.unapplied += 1
        continue
      }
      let after = before + Self.delta(charge)
      running[wallet] = after
      uuids.append(call.uuid)
      userIDs.append(users[wallet])
      walletIDs.append(String(wallet))
      types.append(charge.credits ? "credit" : "debit")
      amounts.append(charge.amount.description)
      balancesAfter.append(after.description)
      callIDs.append(call.callID)
      charged[charge.account] = wallet
    }
    if uuids.isEmpty { return }
    try connection.query(
      PGQuery(
        unsafeSQL: """
          INSERT INTO transactions
            (uuid, user_id, wallet_id, type, category, amount, balance_after, reference_type, reference_id)
          SELECT uuid, user_id, wallet_id, type, 'call', amount, balance_after, 'call', reference_id
          FROM unnest($1::uuid[], $2::bigint[], $3::bigint[], $4::transaction_type[], $5::numeric[],
                      $6::numeric[], $7::bigint[])
            AS r(uuid, user_id, wallet_id, type, amount, balance_after, reference_id)
          """,
        binds: [
          PGArray.literal(uuids), PGArray.literal(userIDs), PGArray.literal(walletIDs),
          PGArray.literal(types),
          PGArray.literal(amounts), PGArray.literal(balancesAfter), PGArray.literal(callIDs),
        ]))
    for (account, wallet) in charged {
      guard let amount = running[wallet], let version = versions[wallet] else { continue }
      outcome.balances[account] = AccountBalance(amount: amount, version: version)
    }
  }

  // MARK: reading values

  private func money(_ result: PGResult, _ row: Int, _ column: Int) throws -> Money {
    guard let text = result.string(row, column), let value = Money(text) else {
      throw PGError(
        message: "unexpected \(result.columnName(column)): \(result.string(row, column) ?? "NULL")")
    }
    return value
  }

  private func int64(_ result: PGResult, _ row: Int, _ column: Int) throws -> Int64 {
    guard let text = result.string(row, column), let value = Int64(text) else {
      throw PGError(
        message: "unexpected \(result.columnName(column)): \(result.string(row, column) ?? "NULL")")
    }
    return value
  }
}
