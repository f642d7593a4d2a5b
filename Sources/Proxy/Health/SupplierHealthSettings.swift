import Policy

/// How supplier interconnects are probed (`[health]` in the config;
/// docs/operations.md, "Supplier health"). Which interconnects, and how
/// often each, the reference data says (`options_probe`, migration 0023).
public struct SupplierHealthSettings: Sendable, Equatable {
  public var thresholds: HealthThresholds
  /// Time between probes of an interconnect whose row names none.
  public var defaultIntervalMs: Int64
  /// A probe with no final response by then is a failure (its transaction
  /// is given up; RFC 3261's timer F would wait 32 s).
  public var timeoutMs: Int64
  /// How often the core looks for probes due or overdue (its tick).
  public var roundMs: Int64

  public init(
    thresholds: HealthThresholds = HealthThresholds(), defaultIntervalMs: Int64 = 30_000,
    timeoutMs: Int64 = 5_000, roundMs: Int64 = 100
  ) {
    self.thresholds = thresholds
    self.defaultIntervalMs = max(1, defaultIntervalMs)
    self.timeoutMs = max(1, timeoutMs)
    self.roundMs = max(1, roundMs)
  }
}
