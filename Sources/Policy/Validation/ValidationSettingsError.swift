/// An `interconnect_validation_settings` value that cannot be read; names the
/// column, the value and the problem.
public struct ValidationSettingsError: Error, Sendable, Equatable, CustomStringConvertible {
  public var column: String
  public var value: String
  public var problem: String

  public init(column: String, value: String, problem: String) {
    self.column = column
    self.value = value
    self.problem = problem
  }

  /// `column: 'value': problem`.
  public var description: String { "\(column): '\(value)': \(problem)" }
}
