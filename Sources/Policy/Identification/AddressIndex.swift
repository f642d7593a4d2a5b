/// Finds every address row that contains a given IP without scanning them
/// all. Each row is stored under a caller-chosen integer key.
///
/// - Single addresses (a /32, a /128, a one-address range): one dictionary.
/// - CIDR blocks: one dictionary of masked networks per (family, prefix
///   length); a lookup masks the address once per prefix length in use, at
///   most 33 (IPv4) or 129 (IPv6) probes however many blocks there are.
/// - Ranges: sorted by first address with, beside each, the highest last
///   address so far; a binary search finds the last range starting at or
///   before the address and a backward walk stops as soon as no earlier range
///   can reach it (immediately when ranges do not overlap).
struct AddressIndex: Sendable {
  private struct Range: Sendable {
    var first: IPAddress
    var last: IPAddress
    var key: Int
  }

  private struct Networks: Sendable {
    var prefixLength: Int
    var isIPv6: Bool
    var keys: [IPAddress: [Int]]
  }

  private let exact: [IPAddress: [Int]]
  /// Longest prefix first.
  private let networks: [Networks]
  /// By `first`.
  private let ranges: [Range]
  /// `highestLast[i]` is the highest `last` among `ranges[0...i]`.
  private let highestLast: [IPAddress]

  init(_ rows: [(match: InterconnectAddress.Match, key: Int)]) {
    var exact: [IPAddress: [Int]] = [:]
    var networks: [Int: Networks] = [:]  // by prefixLength, IPv6 as 1000 + length
    var ranges: [Range] = []
    for (match, key) in rows {
      switch match {
      case .network(let address, let prefixLength):
        guard (0...address.bitWidth).contains(prefixLength) else { continue }
        if prefixLength == address.bitWidth {
          exact[address, default: []].append(key)
        } else {
          let slot = (address.isIPv6 ? 1000 : 0) + prefixLength
          networks[slot, default: Networks(prefixLength: prefixLength, isIPv6: address.isIPv6, keys: [:])]
            .keys[address.masked(toPrefixLength: prefixLength), default: []].append(key)
        }
      case .range(let first, let last):
        guard first.isIPv6 == last.isIPv6, first <= last else { continue }
        if first == last {
          exact[first, default: []].append(key)
        } else {
          ranges.append(Range(first: first, last: last, key: key))
        }
      }
    }
    ranges.sort { ($0.first, $0.key) < ($1.first, $1.key) }
    var highestLast: [IPAddress] = []
    highestLast.reserveCapacity(ranges.count)
    for range in ranges { highestLast.append(max(highestLast.last ?? range.last, range.last)) }

    self.exact = exact
    self.networks = networks.values.sorted { $0.prefixLength > $1.prefixLength }
    self.ranges = ranges
    self.highestLast = highestLast
  }

  /// The keys of every row containing `address`, in no particular order.
  func keys(containing address: IPAddress) -> [Int] {
    var found = exact[address] ?? []
    for block in networks where block.isIPv6 == address.isIPv6 {
      if let keys = block.keys[address.masked(toPrefixLength: block.prefixLength)] {
        found.append(contentsOf: keys)
      }
    }
    var index = lastRangeStarting(atOrBefore: address)
    while index >= 0, highestLast[index] >= address {
      let range = ranges[index]
      if range.last >= address, range.first.isIPv6 == address.isIPv6 { found.append(range.key) }
      index -= 1
    }
    return found
  }

  /// The index of the last range whose `first` is at or before `address`, or -1.
  private func lastRangeStarting(atOrBefore address: IPAddress) -> Int {
    var low = 0
    var high = ranges.count
    while low < high {
      let middle = (low + high) / 2
      if ranges[middle].first <= address { low = middle + 1 } else { high = middle }
    }
    return low - 1
  }
}
