/// The hook a router leaves on a `RoutedCall` it forks in parallel: the
/// core calls `next` once, on the core's thread, when the fork ends with
/// no answer and the caller has neither cancelled nor had a final response.
///
/// - `nil`: the caller gets the fork's best response (§16.7 step 6).
/// - `.refuse(refusal)`: the caller gets that answer instead (do not disturb
///   after the fact, a custom 480...).
/// - `.route(call)`: the call goes on to `call`'s targets, tried as `call`
///   says (a forward: sequential through a supplier, or another fork), in
///   the same server transaction and call record. When `call` is forked
///   too, its own `whenUnanswered` is asked at its end (a sequential call
///   ends with its best response). Limits: the call's rating, ingress and
///   edits stay the first decision's (the Record-Route too); only targets,
///   forking, failover statuses, the hook, `noAnswerTimeoutMs`, the
///   session-timer flag (or-ed) and a DID's forwarded leg
///   (`inbound.forwardedLeg`: its record and credit) are taken from `call`.
///
/// No targets at all (no live binding) is the router's own decision: it
/// returns its refusal (480) or its forward directly.
///
/// A reference type so a `RoutedCall` stays `Equatable` (hooks compare by
/// identity); unchecked `Sendable` because it is made and called on the
/// core's thread, like the router that makes it.
public final class UnansweredHook: @unchecked Sendable, Equatable {
  public let next: (ForkOutcome) -> RouteDecision?

  public init(_ next: @escaping (ForkOutcome) -> RouteDecision?) { self.next = next }

  public static func == (lhs: UnansweredHook, rhs: UnansweredHook) -> Bool { lhs === rhs }
}
