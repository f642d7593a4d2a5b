// did-lookup-bench: how long finding a called number among the switch's DIDs
// takes as their count grows (docs/dids.md): one hash lookup, flat.
//
//   swift build -c release --product did-lookup-bench
//   .build/release/did-lookup-bench [--sizes 1000,100000,1000000] [--lookups 2000000]
//
// For each size N: N distinct 11-digit numbers (1555 + 7 digits, every other
// one written with a `+`) become a DIDDirectory; then --lookups lookups of
// numbers drawn at random from them (one in four not ours), as the pipeline
// does per interconnect call (`DIDDirectory.number`). Prints the build time
// and nanoseconds per lookup.

import Glibc
import Policy

var sizes = [1_000, 100_000, 1_000_000]
var lookups = 2_000_000
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
  switch argument {
  case "--sizes": sizes = (arguments.next() ?? "").split(separator: ",").compactMap { Int($0) }
  case "--lookups": lookups = max(1, Int(arguments.next() ?? "") ?? lookups)
  default:
    print("did-lookup-bench: unknown argument \(argument)")
    exit(1)
  }
}

func nowNs() -> UInt64 {
  var spec = timespec()
  clock_gettime(CLOCK_MONOTONIC, &spec)
  return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
}

struct SplitMix {
  var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
  mutating func next() -> UInt64 {
    seed &+= 0x9E37_79B9_7F4A_7C15
    var z = seed
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
var generator = SplitMix()

for size in sizes {
  // Distinct numbers: a stride through the 10^7 space.
  let step = max(1, 10_000_000 / size)
  let numbers = (0..<size).map { index -> String in
    let digits = String(1_555_000_0000 + index * step)
    return index % 2 == 0 ? digits : "+" + digits
  }
  let start = nowNs()
  let directory = DIDDirectory(
    numbers.enumerated().map { DIDNumber(id: String($0.offset), number: $0.element, userID: "1") })
  let built = nowNs() - start
  // The numbers dialled: 3 in 4 ours (without `+`), 1 in 4 one past them (not ours when step > 1).
  let dialled = (0..<100_000).map { _ -> String in
    let index = Int(generator.next() % UInt64(size))
    let digits = String(1_555_000_0000 + index * step + (generator.next() % 4 == 0 ? 1 : 0))
    return generator.next() % 2 == 0 ? digits : "+" + digits
  }
  var found = 0
  let lookupStart = nowNs()
  for round in 0..<lookups {
    if directory.number(dialled[round % dialled.count]) != nil { found += 1 }
  }
  let elapsed = nowNs() - lookupStart
  print(
    "numbers \(size): built in \(built / 1_000_000) ms; \(lookups) lookups, "
      + "\(Double(elapsed) / Double(lookups)) ns each (\(found) found)")
}
