/// Longest-prefix match over digit strings (destination prefixes of routing
/// and rating plans), built once from `(prefix, value)` pairs and then
/// read-only.
///
/// Layout: the prefixes' bytes back to back in ascending byte order, an
/// offset array, the values in the same order, and a 257-entry index of
/// where each first byte's block begins: four arrays whatever the size, no
/// per-prefix allocation, about (length + 4) bytes per prefix plus the
/// values.
///
/// Lookup walks down the number one byte at a time, narrowing the block of
/// prefixes that start with the bytes seen so far (two binary searches on
/// one byte per step, in a block about ten times smaller each step for
/// digits): O(d · log n) single-byte comparisons for a number of d digits
/// and n prefixes. When every prefix is digits (routing and rating plans),
/// a `DigitPrefixIndex` replaces the searches with one hash probe per
/// prefix length in use, so the memory touched per lookup does not grow
/// with the table (BENCHMARKS.md, "Rating: a million rate prefixes"). Building sorts
/// once, O(n log n); input already in ascending byte order
/// (`ORDER BY prefix COLLATE "C"`) skips the sort.
///
/// - Matching is byte for byte on UTF-8; no character is special. A number
///   written `+4930…` does not match prefix `49`: callers strip a leading
///   `+` first (`RoutingPlan.lookup(destination:)` does).
/// - The empty prefix `""` matches every number: a plan's default route.
/// - Duplicate prefixes: the last pair given wins (as a later row overriding
///   an earlier one); `duplicateCount` says how many were dropped, for the
///   loader to log.
public struct PrefixTable<Value> {
  /// The prefixes' UTF-8 bytes back to back, in ascending byte order.
  private let bytes: [UInt8]
  /// Prefix `i` is `bytes[starts[i]..<starts[i + 1]]`; `count + 1` elements.
  private let starts: [UInt32]
  private let values: [Value]
  /// `blockStarts[b]..<blockStarts[b + 1]` are the prefixes whose first byte
  /// is `b` (257 elements): the first step of a lookup without a search.
  private let blockStarts: [UInt32]
  /// How many pairs were dropped because a later pair had the same prefix.
  public let duplicateCount: Int
  /// One hash probe per prefix length instead of the binary searches, when
  /// every prefix is digits (routing and rating plans).
  private let digitIndex: DigitPrefixIndex?

  public init(_ entries: [(prefix: String, value: Value)]) {
    var scratch: [UInt8] = []
    var scratchStarts: [Int] = [0]
    scratchStarts.reserveCapacity(entries.count + 1)
    for entry in entries {
      scratch.append(contentsOf: entry.prefix.utf8)
      scratchStarts.append(scratch.count)
    }
    precondition(scratch.count <= Int(UInt32.max), "PrefixTable: prefixes too long in total")

    let order: [Int] = scratch.withUnsafeBufferPointer { bytes in
      func prefix(_ index: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: bytes[scratchStarts[index]..<scratchStarts[index + 1]])
      }
      // Ascending by bytes, equal prefixes in input order; then the last of each run of equals.
      var sorted = Array(entries.indices)
      let isStrictlyAscending = sorted.indices.dropFirst().allSatisfy {
        Self.compare(prefix($0 - 1), prefix($0)) < 0
      }
      if isStrictlyAscending { return sorted }
      sorted.sort { lhs, rhs in
        let order = Self.compare(prefix(lhs), prefix(rhs))
        return order != 0 ? order < 0 : lhs < rhs
      }
      var kept: [Int] = []
      kept.reserveCapacity(sorted.count)
      for (position, index) in sorted.enumerated() {
        if position + 1 < sorted.count, Self.compare(prefix(index), prefix(sorted[position + 1])) == 0 {
          continue
        }
        kept.append(index)
      }
      return kept
    }

    var bytes: [UInt8] = []
    bytes.reserveCapacity(scratch.count)
    var starts: [UInt32] = [0]
    starts.reserveCapacity(order.count + 1)
    var values: [Value] = []
    values.reserveCapacity(order.count)
    var blockStarts = [UInt32](repeating: 0, count: 257)
    for index in order {
      let range = scratchStarts[index]..<scratchStarts[index + 1]
      if let first = scratch[range].first { blockStarts[Int(first) + 1] = UInt32(values.count + 1) }
      bytes.append(contentsOf: scratch[range])
      starts.append(UInt32(bytes.count))
      values.append(entries[index].value)
    }
    // Block 0 starts after the empty prefix, if any; a byte with no prefix
    // gets an empty block where the next one begins.
    blockStarts[0] = starts.count > 1 && starts[1] == 0 ? 1 : 0
    for byte in 1...256 { blockStarts[byte] = max(blockStarts[byte], blockStarts[byte - 1]) }
    self.bytes = bytes
    self.starts = starts
    self.values = values
    self.blockStarts = blockStarts
    self.duplicateCount = entries.count - order.count
    digitIndex = bytes.withUnsafeBufferPointer { bytes in
      DigitPrefixIndex(count: values.count) {
        UnsafeBufferPointer(rebasing: bytes[Int(starts[$0])..<Int(starts[$0 + 1])])
      }
    }
  }

  /// The number of distinct prefixes.
  public var count: Int { values.count }

  public var isEmpty: Bool { values.isEmpty }

  /// The longest prefix of `number` in the table, and its value.
  public func longestMatch(_ number: some StringProtocol) -> (prefix: String, value: Value)? {
    let utf8 = number.utf8
    let found =
      utf8.withContiguousStorageIfAvailable { find($0) }
      ?? Array(utf8).withUnsafeBufferPointer { find($0) }
    guard let index = found else { return nil }
    let prefix = String(decoding: bytes[Int(starts[index])..<Int(starts[index + 1])], as: UTF8.self)
    return (prefix, values[index])
  }

  /// Calls `body` with each prefix of `number` in the table, longest first,
  /// until it returns false. `body` gets the prefix as a function (a string
  /// is built only when asked for) and its value.
  public func forEachMatch(
    _ number: some StringProtocol, _ body: (_ prefix: () -> String, _ value: Value) -> Bool
  ) {
    let utf8 = number.utf8
    guard utf8.withContiguousStorageIfAvailable({ forEachMatch(in: $0, body) }) == nil else { return }
    Array(utf8).withUnsafeBufferPointer { forEachMatch(in: $0, body) }
  }

  private func forEachMatch(
    in key: UnsafeBufferPointer<UInt8>, _ body: (_ prefix: () -> String, _ value: Value) -> Bool
  ) {
    var length = key.count
    while let index = find(UnsafeBufferPointer(rebasing: key[..<length])) {
      let prefixLength = Int(starts[index + 1] - starts[index])
      let keepGoing = body(
        { String(decoding: bytes[Int(starts[index])..<Int(starts[index + 1])], as: UTF8.self) }, values[index]
      )
      guard keepGoing, prefixLength > 0 else { return }
      length = prefixLength - 1
    }
  }

  /// The index of the longest prefix of `key`.
  ///
  /// Walks down `key` one byte at a time, keeping the block of prefixes that
  /// start with the bytes seen so far (contiguous, as they are sorted). The
  /// first prefix of the block is the shortest, so when its length is the
  /// depth it is exactly the bytes seen: a match. Each step narrows the block
  /// by two binary searches on a single byte, in a block that shrinks fast
  /// and stays in cache.
  private func find(_ key: UnsafeBufferPointer<UInt8>) -> Int? {
    if let digitIndex {
      if let index = digitIndex.longest(key) { return index }
      return starts.count > 1 && starts[1] == 0 ? 0 : nil
    }
    return bytes.withUnsafeBufferPointer { bytes in
      starts.withUnsafeBufferPointer { starts in
        // Only the empty prefix is shorter than one byte; it sorts first.
        var best: Int? = starts.count > 1 && starts[1] == 0 ? 0 : nil
        guard let first = key.first else { return best }
        var low = Int(blockStarts[Int(first)])
        var high = Int(blockStarts[Int(first) + 1])
        var depth = 1
        while low < high {
          if Int(starts[low + 1] - starts[low]) == depth {
            best = low
            low += 1
          }
          guard depth < key.count, low < high else { break }
          // Every prefix in low..<high is longer than `depth`.
          let byte = key[depth]
          func byteAt(_ index: Int) -> UInt8 { bytes[Int(starts[index]) + depth] }
          var lower = low
          var upper = high
          while lower < upper {
            let middle = (lower + upper) / 2
            if byteAt(middle) < byte { lower = middle + 1 } else { upper = middle }
          }
          low = lower
          upper = high
          while lower < upper {
            let middle = (lower + upper) / 2
            if byteAt(middle) <= byte { lower = middle + 1 } else { upper = middle }
          }
          high = lower
          depth += 1
        }
        return best
      }
    }
  }

  /// Byte-wise three-way comparison; a proper prefix sorts first.
  private static func compare(_ lhs: UnsafeBufferPointer<UInt8>, _ rhs: UnsafeBufferPointer<UInt8>) -> Int {
    let common = min(lhs.count, rhs.count)
    var index = 0
    while index < common {
      let left = lhs[index]
      let right = rhs[index]
      if left != right { return left < right ? -1 : 1 }
      index += 1
    }
    return lhs.count == rhs.count ? 0 : (lhs.count < rhs.count ? -1 : 1)
  }
}

extension PrefixTable: Sendable where Value: Sendable {}
