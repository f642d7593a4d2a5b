/// Time as the proxy core sees it. The daemon passes the real clocks; tests
/// pass a manual one. Nothing in the core reads a clock on its own.
public protocol ProxyClock {
  /// Monotonic milliseconds, for timers and durations.
  var monotonicMs: Int64 { get }
  /// Milliseconds since the Unix epoch, for call records.
  var unixMs: Int64 { get }
}
