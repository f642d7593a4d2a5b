import Billing
import Proxy

/// What one load of the reference data yields: the snapshot calls are
/// routed on and the accounts they are charged to.
struct ReferenceLoad: Sendable {
  let snapshot: Snapshot
  let accounts: [CreditAccount]
}
