// sip-fuzz: a coverage-guided fuzzer of the message layer (scripts/fuzz).
//
// Built with `-sanitize=fuzzer,address -DFUZZING`, libFuzzer drives
// `FuzzTarget.run` (LLVMFuzzerRunDriver) and LeakSanitizer checks every
// input. Built plainly, it replays files: `sip-fuzz FILE...` runs each
// through the same target and prints its CPU time in µs, slowest last
// (`scripts/fuzz` uses a release build of it to time what the fuzzer found
// slowest, without the sanitizers' overhead).
#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let start = SlowInputs.cpuMicroseconds()
  FuzzTarget.run(UnsafeRawBufferPointer(start: data, count: size))
  SlowInputs.record(
    UnsafeRawBufferPointer(start: data, count: size), micros: SlowInputs.cpuMicroseconds() - start)
  return 0
}

#if FUZZING
  @_silgen_name("LLVMFuzzerRunDriver")
  func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
  ) -> CInt

  var argc = CommandLine.argc
  var argv = CommandLine.unsafeArgv
  exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOneInput))
#else
  exit(SlowInputs.replay(Array(CommandLine.arguments.dropFirst())))
#endif
