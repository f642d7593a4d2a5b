/// `RoutedCall`'s fields for parallel forks and calls to DIDs: kept in one
/// `Boxed` reference that stays nil on the carrier path (sequential, no
/// DID), so the `RoutedCall` every call copies carries 8 bytes of them.
extension RoutedCall {
  /// The fields themselves, as their defaults when the box is nil.
  struct ForkAndDID: Sendable, Equatable {
    var forking = Forking.sequential
    var whenUnanswered: UnansweredHook?
    var noAnswerTimeoutMs: Int64?
    var inbound: InboundCall?
  }

  /// How the targets are tried: one after another with failover (carriers,
  /// suppliers), or forked in parallel by q group (registered phones).
  public var forking: Forking {
    get { forkAndDID?.value.forking ?? .sequential }
    set { changeForkAndDID { $0.forking = newValue } }
  }

  /// Asked when a parallel fork ends unanswered (busy, no answer, every
  /// branch failed): the call's next decision, or nil for the fork's best
  /// response (docs/softphones.md "Forking").
  public var whenUnanswered: UnansweredHook? {
    get { forkAndDID?.value.whenUnanswered }
    set { changeForkAndDID { $0.whenUnanswered = newValue } }
  }

  /// A parallel fork's no-answer timeout (nil: `inviteTimeoutMs`), e.g. a
  /// call rule's `timeout_seconds`.
  public var noAnswerTimeoutMs: Int64? {
    get { forkAndDID?.value.noAnswerTimeoutMs }
    set { changeForkAndDID { $0.noAnswerTimeoutMs = newValue } }
  }

  /// A call delivered to a DID of this switch (docs/dids.md); nil otherwise.
  public var inbound: InboundCall? {
    get { forkAndDID?.value.inbound }
    set { changeForkAndDID { $0.inbound = newValue } }
  }

  /// A new box with the change; none when every field is back to its
  /// default, so that equal calls compare equal.
  private mutating func changeForkAndDID(_ change: (inout ForkAndDID) -> Void) {
    var fields = forkAndDID?.value ?? ForkAndDID()
    change(&fields)
    forkAndDID = fields == ForkAndDID() ? nil : Boxed(fields)
  }
}
