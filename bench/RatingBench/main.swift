// rating-bench: rate and route lookups per second as plans grow, and the
// reference-data load of whatever a database holds.
//
//   swift build -c release --product rating-bench
//   .build/release/rating-bench [--sizes 10000,100000,1000000] [--lookups 2000000] [--seed 1]
//   .build/release/rating-bench --database-url postgresql://postgres@127.0.0.1:5432/didtron [--repeat 2]
//
// In memory (no --database-url): for each size N, N random prefixes that look
// like real ones (an E.164 country code and 3 to 8 more digits, as
// bench/gen-routing-plan.py makes them) become a RatingPlan (Europe/Berlin,
// peak/off-peak/weekend windows; one rate per prefix, every tenth prefix also
// a peak rate) and a RoutingPlan (one or two routes per prefix). It prints the
// build time, the resident memory the two plans added, and lookups per second
// of `quote(destination:atUnixMs:)` and `lookup(destination:)` on 100,000
// numbers made from random prefixes plus digits (one in ten matching no
// prefix), then on the first 1,000 of them only (a hot set that stays in the
// CPU caches, as real traffic mostly does).
//
// With --database-url: times `ReferenceDataLoader().load` (one REPEATABLE READ
// transaction, routing entries and rates through cursors) and prints the
// prefixes, rates, milliseconds and resident memory.

import Glibc
import Routing
import Store

struct Options {
  var sizes = [10_000, 100_000, 1_000_000]
  var lookups = 2_000_000
  var seed: UInt64 = 1
  var databaseURL: String?
  var repeats = 2

  init(_ arguments: [String]) {
    var iterator = arguments.dropFirst().makeIterator()
    while let argument = iterator.next() {
      switch argument {
      case "--sizes":
        sizes = (iterator.next() ?? "").split(separator: ",").compactMap { Int($0) }
        if sizes.isEmpty || sizes.contains(where: { $0 < 1 }) { fail("--sizes wants positive numbers") }
      case "--lookups": lookups = max(1, Int(iterator.next() ?? "") ?? lookups)
      case "--seed": seed = UInt64(iterator.next() ?? "") ?? seed
      case "--database-url": databaseURL = iterator.next()
      case "--repeat": repeats = max(1, Int(iterator.next() ?? "") ?? repeats)
      default: fail("unknown argument \(argument)")
      }
    }
  }
}

func fail(_ message: String) -> Never {
  let line = Array("rating-bench: \(message)\n".utf8)
  _ = line.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
  exit(1)
}

/// Resident set size in bytes (/proc/self/statm, second field).
func residentBytes() -> Int {
  guard let file = fopen("/proc/self/statm", "r") else { return 0 }
  defer { fclose(file) }
  var line = [CChar](repeating: 0, count: 256)
  guard fgets(&line, Int32(line.count), file) != nil else { return 0 }
  let fields = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    .split(separator: " ")
  guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
  return pages * sysconf(Int32(_SC_PAGESIZE))
}

/// The peak resident set size in bytes (VmHWM in /proc/self/status).
func peakResidentBytes() -> Int {
  guard let file = fopen("/proc/self/status", "r") else { return 0 }
  defer { fclose(file) }
  var line = [CChar](repeating: 0, count: 256)
  while fgets(&line, Int32(line.count), file) != nil {
    let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    if text.hasPrefix("VmHWM:") {
      return (Int(text.dropFirst(6).filter { $0.isNumber }) ?? 0) * 1024
    }
  }
  return 0
}

func megabytes(_ bytes: Int) -> String {
  let tenths = (bytes * 10 + 524_288) / 1_048_576
  return "\(tenths / 10).\(tenths % 10) MB"
}

func seconds(_ duration: Duration) -> Double {
  Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

func millions(_ count: Int, _ duration: Duration) -> String {
  let perSecond = Double(count) / max(seconds(duration), 1e-9)
  let hundredths = Int((perSecond / 1e4).rounded())
  return "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100) M/s"
}

// E.164 country codes, the same spread as bench/gen-routing-plan.py.
let countryCodes = """
  1 7 20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57
  58 60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98 211 212 213 216 218
  220 221 222 223 224 225 226 227 228 229 230 231 232 233 234 235 236 237 238
  239 240 241 242 243 244 245 246 248 249 250 251 252 253 254 255 256 257 258
  260 261 262 263 264 265 266 267 268 269 290 291 297 298 299 350 351 352 353
  354 355 356 357 358 359 370 371 372 373 374 375 376 377 378 380 381 382 383
  385 386 387 389 420 421 423 500 501 502 503 504 505 506 507 508 509 590 591
  592 593 594 595 596 597 598 599 670 672 673 674 675 676 677 678 679 680 681
  682 683 685 686 687 688 689 690 691 692 850 852 853 855 856 880 886 960 961
  962 963 964 965 966 967 968 970 971 972 973 974 975 976 977 992 993 994 995
  996 998
  """.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)

func digits(_ count: Int, _ random: inout SplitMix64) -> String {
  String((0..<count).map { _ in Character(Unicode.Scalar(UInt8(48 + random.next() % 10))) })
}

/// `count` distinct prefixes, ascending in byte order.
func prefixes(_ count: Int, _ random: inout SplitMix64) -> [String] {
  var seen = Set<String>()
  seen.reserveCapacity(count)
  while seen.count < count {
    let code = countryCodes[Int(random.next() % UInt64(countryCodes.count))]
    seen.insert(code + digits(3 + Int(random.next() % 6), &random))
  }
  return seen.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
}

func buildRatingPlan(_ prefixes: [String], timeZone: TimeZoneRules) throws -> RatingPlan {
  let weekdays = [1, 2, 3, 4, 5]
  var builder = try RatingPlan.Builder(
    id: "bench", name: "bench", currency: "USD", timeZone: timeZone,
    margin: .percent(Money(micros: 5_000_000)),
    windows: [
      TimeClassWindow(name: "peak", weekdays: weekdays, startMinute: 480, endMinute: 1200)!,
      TimeClassWindow(name: "offpeak", weekdays: weekdays, startMinute: 0, endMinute: 480)!,
      TimeClassWindow(name: "offpeak", weekdays: weekdays, startMinute: 1200, endMinute: 1440)!,
      TimeClassWindow(name: "weekend", weekdays: [6, 7], startMinute: 0, endMinute: 1440)!,
    ])
  builder.reserveCapacity(prefixes.count + prefixes.count / 10)
  let increments = BillingIncrements(initial: 60, recurring: 6)!
  for (index, prefix) in prefixes.enumerated() {
    let micros = Int64(1000 + index % 199_000)
    try builder.add(prefix: prefix, rate: Rate(ratePerMinute: Money(micros: micros), increments: increments))
    if index % 10 == 0 {
      try builder.add(
        prefix: prefix,
        rate: Rate(ratePerMinute: Money(micros: micros * 2), increments: increments, timeClass: "peak"))
    }
  }
  return try builder.build()
}

func buildRoutingPlan(_ prefixes: [String]) -> RoutingPlan {
  let first = EgressRoute(carrierServiceID: "service-a", priority: 1)
  let second = EgressRoute(carrierServiceID: "service-b", priority: 2)
  let entries = prefixes.enumerated().map { index, prefix in
    RoutingPlanEntry(prefix: prefix, routes: index % 2 == 0 ? [first, second] : [first])
  }
  return RoutingPlan(id: "bench", code: "BENCH", name: "bench", order: .lcr, entries: entries)
}

func inMemory(_ options: Options) throws {
  let berlin = try TimeZoneFile.rules(named: "Europe/Berlin")
  print(
    "rating-bench: in memory, \(options.lookups) lookups per size, RSS at start \(megabytes(residentBytes()))"
  )
  print(
    "| prefixes | rates | build rating + routing plan | RSS added by the two plans "
      + "| quote, 100k numbers | lookup, 100k numbers | quote, 1k numbers | lookup, 1k numbers |")
  print("|---|---|---|---|---|---|---|---|")
  let clock = ContinuousClock()
  for size in options.sizes {
    var random = SplitMix64(seed: options.seed &+ UInt64(size))
    let list = prefixes(size, &random)
    // Destinations: a prefix and digits up to 12 in all; one in ten matches nothing.
    let destinations: [String] = (0..<100_000).map { index in
      if index % 10 == 9 { return "999" + digits(9, &random) }
      let prefix = list[Int(random.next() % UInt64(list.count))]
      return prefix + digits(max(0, 12 - prefix.count), &random)
    }
    let before = residentBytes()
    let started = clock.now
    let rating = try buildRatingPlan(list, timeZone: berlin)
    let routing = buildRoutingPlan(list)
    let built = clock.now - started
    let added = residentBytes() - before

    var cells: [String] = []
    var checksum: Int64 = 0
    // All 100,000 numbers (most lookups miss the CPU caches at 1M prefixes),
    // then the first 1,000 only (a hot set, as real traffic has).
    for distinct in [destinations.count, 1000] {
      // Instants over one week, so every time class is met.
      let weekStart: Int64 = 1_772_409_600_000  // 2026-03-02 00:00 UTC, a Monday
      var startedLookups = clock.now
      for index in 0..<options.lookups {
        let instant = weekStart + Int64(index % 10_080) * 60_000
        if let quote = rating.quote(destination: destinations[index % distinct], atUnixMs: instant) {
          checksum &+= quote.ratePerMinute.micros
        }
      }
      let quoteTime = clock.now - startedLookups
      startedLookups = clock.now
      for index in 0..<options.lookups {
        if let entry = routing.lookup(destination: destinations[index % distinct]) {
          checksum &+= Int64(entry.routes.count)
        }
      }
      let lookupTime = clock.now - startedLookups
      cells += [millions(options.lookups, quoteTime), millions(options.lookups, lookupTime)]
    }
    print(
      "| \(rating.prefixCount) | \(rating.rateCount) | \(Int(seconds(built) * 1000)) ms | \(megabytes(added)) | "
        + cells.joined(separator: " | ") + " |")
    if checksum == 42 { print("") }  // keeps the lookups from being optimised away
  }
  print("peak RSS \(megabytes(peakResidentBytes()))")
}

func fromDatabase(_ url: String, _ options: Options) throws {
  let clock = ContinuousClock()
  print("rating-bench: ReferenceDataLoader().load, RSS at start \(megabytes(residentBytes()))")
  for run in 1...options.repeats {
    let connection = try PGConnection(url: url)
    let started = clock.now
    let data = try ReferenceDataLoader().load(from: connection)
    let elapsed = clock.now - started
    let prefixes = data.routingPlans.reduce(0) { $0 + $1.entries.count }
    let ratePrefixes = data.ratingPlans.reduce(0) { $0 + $1.prefixCount }
    let rates = data.ratingPlans.reduce(0) { $0 + $1.rateCount }
    let resident = withExtendedLifetime(data) { residentBytes() }
    print(
      "run \(run): \(data.routingPlans.count) routing plans with \(prefixes) prefixes, "
        + "\(data.ratingPlans.count) rating plans with \(ratePrefixes) prefixes and \(rates) rates, "
        + "\(data.currencies.rates.count) currencies: \(Int(seconds(elapsed) * 1000)) ms, "
        + "RSS \(megabytes(resident)) with the data (peak \(megabytes(peakResidentBytes())))")
  }
}

let options = Options(CommandLine.arguments)
do {
  if let url = options.databaseURL {
    try fromDatabase(url, options)
  } else {
    try inMemory(options)
  }
} catch {
  fail("\(error)")
}
