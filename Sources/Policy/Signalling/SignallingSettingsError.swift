/// Why a row of `interconnect_signalling_settings` could not be read. The description
/// starts with the column at fault and names the value, for the reload log.
public struct SignallingSettingsError: Error, Sendable, Equatable, CustomStringConvertible {
  public var description: String

  public init(_ description: String) {
    self.description = description
  }
}
