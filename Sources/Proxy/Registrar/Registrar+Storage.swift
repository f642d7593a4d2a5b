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
  /// address of record of a domain not served here is ignored. A stored
  /// binding that is one held already (same contact, Call-ID and CSeq: this
  /// switch's own write read back) keeps its expiry as held. Returns the
  /// expiries (monotonic ms) that no binding held before had: the ones that
  /// need an expiry timer.
  @discardableResult
  public func replaceBindings(of aor: String, with stored: [StoredBinding], nowMs: Int64, unixNowMs: Int64)
    -> [Int64]
  {
    guard let canonical = Self.addressOfRecord(aor), serves(host: Self.host(ofAddressOfRecord: canonical))
    else { return [] }
    let held = bindings[canonical] ?? []
    let kept = stored.filter { $0.expiresAtUnixMs > unixNowMs }.prefix(configuration.maxContacts).map { row in
      let same = held.first { $0.contact == row.contact && $0.callID == row.callID && $0.cseq == row.cseq }
      return Binding(
        contact: row.contact, expiresAtMs: same?.expiresAtMs ?? nowMs + (row.expiresAtUnixMs - unixNowMs),
        qThousandths: row.qThousandths, callID: row.callID, cseq: row.cseq, source: row.source)
    }
    bindings[canonical] = kept.isEmpty ? nil : Array(kept)
    let heldExpiries = Set(held.map(\.expiresAtMs))
    return kept.map(\.expiresAtMs).filter { !heldExpiries.contains($0) }
  }

  /// Every address of record held now (tests, and a full reload).
  public var addressesOfRecord: [String] { Array(bindings.keys) }

  /// The bindings of the addresses of record whose user part is `user`
  /// (at most `limit` addresses; the admin API's `GET /v1/registrations`).
  public func bindings(user: String, limit: Int = 100) -> [(addressOfRecord: String, bindings: [Binding])] {
    var found: [(String, [Binding])] = []
    for (aor, held) in bindings where found.count < limit {
      let afterScheme = aor.drop { $0 != ":" }.dropFirst()
      if afterScheme.prefix(while: { $0 != "@" }) == user { found.append((aor, held)) }
    }
    return found.sorted { $0.0 < $1.0 }
  }
}
