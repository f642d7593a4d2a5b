/// A sync's PostgreSQL connection object (`CreditStore`, `MonthlyCallStore`,
/// `RegistrationStore`): opened on first use, dropped after any failure so
/// that the next use opens a fresh one. Used only on its sync's one pool
/// thread (every call, `close` included, runs there), so it takes no lock,
/// and a slow connect never holds one the event loop may want.
final class PoolConnection<Store>: @unchecked Sendable {
  private let open: () throws -> Store
  private var store: Store?

  init(_ open: @escaping () throws -> Store) { self.open = open }

  /// Runs `body` on the connection, opening it first; a failure drops it.
  func with<T>(_ body: (Store) throws -> T) throws -> T {
    let connected = try store ?? open()
    store = connected
    do {
      return try body(connected)
    } catch {
      store = nil
      throw error
    }
  }

  func close() { store = nil }
}
