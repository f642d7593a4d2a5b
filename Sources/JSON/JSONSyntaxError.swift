/// Where and why JSON text could not be read; `offset` counts UTF-8 bytes from 0.
public struct JSONSyntaxError: Error, Equatable, Sendable, CustomStringConvertible {
  public var offset: Int
  public var message: String

  public init(offset: Int, message: String) {
    self.offset = offset
    self.message = message
  }

  public var description: String { "\(message) at byte \(offset)" }
}
