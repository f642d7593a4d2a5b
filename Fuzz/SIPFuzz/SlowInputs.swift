#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The slowest inputs a fuzzing run has seen: libFuzzer's `-timeout` and
/// `-report_slow_units` count whole seconds, and the bound is 1 ms.
/// With `SIP_FUZZ_SLOW_DIR` set, each input slower than every one before it
/// (by thread CPU time) is written there as `slow-<µs>` for `scripts/fuzz`
/// to time again without the sanitizers.
enum SlowInputs {
  nonisolated(unsafe) static var slowest = 0.0
  static let directory: String? = getenv("SIP_FUZZ_SLOW_DIR").map { String(cString: $0) }

  static func cpuMicroseconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return Double(time.tv_sec) * 1e6 + Double(time.tv_nsec) / 1e3
  }

  static func record(_ input: UnsafeRawBufferPointer, micros: Double) {
    guard micros > slowest, let directory else { return }
    slowest = micros
    let path = "\(directory)/slow-\(Int(micros))"
    guard let file = fopen(path, "wb") else { return }
    if let base = input.baseAddress { fwrite(base, 1, input.count, file) }
    fclose(file)
  }

  /// Runs each file through the whole target and, alone, through what the
  /// daemon does with it as one datagram (decode, and the proxy's reads and
  /// edits if passed on); prints the CPU time of each (best of six runs after
  /// a warm-up), slowest last. 1 if a file is unreadable.
  static func replay(_ paths: [String]) -> CInt {
    var results: [(whole: Double, datagram: Double, path: String, count: Int)] = []
    for path in paths {
      guard let bytes = read(path) else {
        print("cannot read \(path)")
        return 1
      }
      let whole = best { bytes.withUnsafeBytes { FuzzTarget.run($0) } }
      let datagram = best { bytes.withUnsafeBytes { FuzzTarget.decode($0, isDatagram: true, depth: 1) } }
      results.append((whole, datagram, path, bytes.count))
    }
    for result in results.sorted(by: { $0.whole < $1.whole }) {
      print(
        "\(format(result.whole)) µs whole target, \(format(result.datagram)) µs as a datagram  \(result.count) bytes  \(result.path)"
      )
    }
    return 0
  }

  private static func best(_ body: () -> Void) -> Double {
    var best = Double.infinity
    for _ in 0..<7 {
      let start = cpuMicroseconds()
      body()
      best = min(best, cpuMicroseconds() - start)
    }
    return best
  }

  private static func format(_ micros: Double) -> String {
    let tenths = Int((micros * 10).rounded())
    return "\(tenths / 10).\(tenths % 10)"
  }

  private static func read(_ path: String) -> [UInt8]? {
    guard let file = fopen(path, "rb") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65_536)
    while true {
      let count = fread(&chunk, 1, chunk.count, file)
      if count <= 0 { break }
      bytes.append(contentsOf: chunk[0..<count])
    }
    return bytes
  }
}
