import Billing
import Routing
import Store

/// An in-memory `calls` table shared by every connection a writer opens, with
/// scripted failures: connections that fail, inserts that fail mid-way, and
/// uuids refused as a data error. Accounts added with `open(_:balance:)` take
/// the charges of new records (the version rises by one per charge); charges
/// of other accounts are unapplied.
final class MemoryCallRecordTable: @unchecked Sendable {
  private let box = Box(State())

  struct State {
    var rows: [String: CallRecord] = [:]
    var insertOrder: [String] = []
    var failConnects = 0
    var failInserts = 0
    var refused: Set<String> = []
    var connects = 0
    var accounts: [AccountRef: AccountBalance] = [:]
  }

  var rows: [String: CallRecord] { box.value.rows }
  var insertOrder: [String] { box.value.insertOrder }
  var connects: Int { box.value.connects }
  var accounts: [AccountRef: AccountBalance] { box.value.accounts }

  func open(_ account: AccountRef, balance: Money) {
    box.mutate { $0.accounts[account] = AccountBalance(amount: balance, version: 0) }
  }

  func failNextConnects(_ count: Int) { box.mutate { $0.failConnects = count } }
  func failNextInserts(_ count: Int) { box.mutate { $0.failInserts = count } }
  func refuse(_ uuid: String) { box.mutate { _ = $0.refused.insert(uuid) } }

  func connect() throws -> any CallRecordStore {
    var fail = false
    box.mutate { state in
      state.connects += 1
      if state.failConnects > 0 {
        state.failConnects -= 1
        fail = true
      }
    }
    if fail { throw PGError(message: "connection refused") }
    return Connection(table: self)
  }

  final class Connection: CallRecordStore {
    let table: MemoryCallRecordTable
    init(table: MemoryCallRecordTable) { self.table = table }

    func insert(_ records: [CallRecord]) throws -> CallRecordInsertResult {
      var result: Result<CallRecordInsertResult, PGError> = .success(CallRecordInsertResult(inserted: 0))
      table.box.mutate { state in
        if state.failInserts > 0 {
          state.failInserts -= 1
          result = .failure(PGError(message: "server closed the connection unexpectedly"))
          return
        }
        if let bad = records.first(where: { state.refused.contains($0.uuid) }) {
          result = .failure(
            PGError(
              message: "invalid input syntax for type uuid: \"\(bad.uuid)\"", sqlState: SQLState("22P02")))
          return
        }
        var outcome = CallRecordInsertResult(inserted: 0)
        for record in records where state.rows[record.uuid] == nil {
          state.rows[record.uuid] = record
          state.insertOrder.append(record.uuid)
          outcome.inserted += 1
          for charge in record.charges {
            guard var balance = state.accounts[charge.account] else {
              outcome.unappliedCharges += 1
              continue
            }
            balance.amount = charge.credits ? balance.amount + charge.amount : balance.amount - charge.amount
            balance.version += 1
            state.accounts[charge.account] = balance
            outcome.balances[charge.account] = balance
          }
        }
        result = .success(outcome)
      }
      return try result.get()
    }
  }
}
