/// Polls `condition` until it holds or `timeout` passes; returns its last value.
/// The tests wait on state, never for a fixed time.
func eventually(
  timeout: Duration = .seconds(30), _ condition: () throws -> Bool
) async rethrows -> Bool {
  let deadline = ContinuousClock.now + timeout
  while true {
    if try condition() { return true }
    if ContinuousClock.now >= deadline { return false }
    try? await Task.sleep(for: .milliseconds(5))
  }
}
