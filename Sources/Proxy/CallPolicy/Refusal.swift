/// A refused initial INVITE: the answer the caller gets, and which counter
/// it moves. Refused calls cost nothing else: no routing, no call record.
public struct Refusal: Sendable, Equatable {
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

/// One header line: a name and its value.
public struct HeaderField: Sendable, Equatable {
  public var name: String
  public var value: String

  public init(_ name: String, _ value: String) {
    self.name = name
    self.value = value
  }
}
