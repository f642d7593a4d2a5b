import SIPCore

/// The registrar's bindings beyond this process (docs/registrar.md "Bindings
/// that last"): each accepted change goes to the `store`; bindings read back
/// (at start, or when another switch changed an address of record) replace
/// the ones held in memory.
extension Registrar {
  /// Passes the last accepted REGISTER's change to the store (if any), with
  /// expiries moved to the wall clock: `unixOffsetMs` = unix ms - monotonic ms now.
  public func sendChange(unixOffsetMs: Int64) {
    guard let change = pendingChange else { return }
    pendingChange = nil
    guard let store else { return }
    store.changed(
      BindingChange(
        addressOfRecord: change.aor,
        saved: change.saved.map {
          StoredBinding(
            contact: $0.contact, expiresAtUnixMs: $0.expiresAtMs + unixOffsetMs,
            qThousandths: $0.qThousandths,
            callID: $0.callID, cseq: $0.cseq, source: $0.source)
        },
        removed: change.removed))
  }

  /// Replaces the bindings of `aor` with `stored` (as the database holds
  /// them), dropping the expired ones and any beyond `maxContacts`; an
  /// address of record of a domain not served here is ignored. Returns the
  /// expiries (monotonic ms) of the bindings kept.
  @discardableResult
  public func replaceBindings(of aor: String, with stored: [StoredBinding], nowMs: Int64, unixNowMs: Int64)
    -> [Int64]
  {
    guard let canonical = Self.addressOfRecord(aor), serves(host: Self.host(ofAddressOfRecord: canonical))
    else { return [] }
    let kept = stored.filter { $0.expiresAtUnixMs > unixNowMs }.prefix(configuration.maxContacts).map {
      Binding(
        contact: $0.contact, expiresAtMs: nowMs + ($0.expiresAtUnixMs - unixNowMs),
        qThousandths: $0.qThousandths, callID: $0.callID, cseq: $0.cseq, source: $0.source)
    }
    bindings[canonical] = kept.isEmpty ? nil : Array(kept)
    return kept.map(\.expiresAtMs)
  }

  /// Every address of record held now (tests, and a full reload).
  public var addressesOfRecord: [String] { Array(bindings.keys) }
}
