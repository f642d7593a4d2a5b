/// The identity of one timer scheduled on a `TimerWheel`.
public struct TimerID: Hashable, Sendable {
  public let rawValue: UInt64

  public init(rawValue: UInt64) {
    self.rawValue = rawValue
  }
}
