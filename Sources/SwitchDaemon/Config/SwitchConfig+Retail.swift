extension SwitchConfig {
  /// `[retail]`: softphone users' calls (docs/softphones.md).
  public struct RetailSettings: Sendable, Equatable {
    /// `retail.emergency_numbers`: called numbers (after translation) that
    /// are never refused or cut for credit; their calls hold no customer
    /// credit. Default [].
    public var emergencyNumbers: [String] = []

    public init() {}
  }
}
