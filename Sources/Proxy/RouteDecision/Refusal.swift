/// A refused request: the final response the caller gets (status, reason
/// phrase naming the rule, extra headers), and which counter it moves.
/// Refused calls cost nothing else: no routing, no call record.
///
/// It is the error the call pipeline's steps throw (`throws(Refusal)`), as
/// Hummingbird's `HTTPResponseError` knows its HTTP status: a rule that
/// fires says what the caller hears, so the pipeline only runs the steps in
/// order. A struct, thrown typed: refusing a call boxes nothing.
public struct Refusal: Error, Sendable, Equatable {
  public enum Kind: Sendable, Equatable {
    /// Identification, validation, routing, codec or signalling rules.
    case policy
    /// A CPS token bucket was empty.
    case callRate
    /// A capacity limit (concurrent calls) was reached.
    case capacity
    /// The account cannot pay (balance, credit limit, 24-hour spend limit).
    case credit
  }

  public var status: Int
  public var reason: String
  public var headers: [HeaderField]
  public var kind: Kind

  public init(status: Int, reason: String, headers: [HeaderField] = [], kind: Kind = .policy) {
    self.status = status
    self.reason = reason
    self.headers = headers
    self.kind = kind
  }
}
