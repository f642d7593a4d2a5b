/// Bindings read from the shared store (docs/registrar.md "Bindings that
/// last"), put in the registrar on the core's thread.
extension ProxyCore {
  /// Replaces the bindings of each address of record in `byAOR` with the
  /// stored ones (an empty list removes them). `complete`: `byAOR` is the
  /// whole store (at start, after the store was unreachable), so addresses
  /// of record absent from it are dropped too. Expiry timers are scheduled.
  public func loadBindings(_ byAOR: [String: [StoredBinding]], complete: Bool) {
    guard let registrar else { return }
    let now = clock.monotonicMs
    let unixNow = clock.unixMs
    if complete {
      for aor in registrar.addressesOfRecord where byAOR[aor] == nil {
        registrar.replaceBindings(of: aor, with: [], nowMs: now, unixNowMs: unixNow)
      }
    }
    for (aor, stored) in byAOR {
      let expiries = registrar.replaceBindings(of: aor, with: stored, nowMs: now, unixNowMs: unixNow)
      guard let canonical = Registrar.addressOfRecord(aor) else { continue }
      for deadline in Set(expiries) {
        _ = schedule(.registrationExpiry(canonical), afterMs: deadline - now)
      }
    }
  }
}
