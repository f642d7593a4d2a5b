/// At most one reload runs; requests that arrive meanwhile fold into one more.
actor SnapshotReloads {
  private var running = false
  private var requested = false

  /// True when the caller should run a reload now.
  func begin() -> Bool {
    if running {
      requested = true
      return false
    }
    running = true
    return true
  }

  /// True when another reload was requested while one ran.
  func again() -> Bool {
    if requested {
      requested = false
      return true
    }
    running = false
    return false
  }
}
