extension Dictionary {
  /// A Swift dictionary keeps the capacity of its largest size: after a
  /// flood a table would hold its peak's memory for good. Copies a table
  /// that uses under an eighth of its capacity into one sized for it.
  public mutating func shrinkIfSparse() {
    guard capacity > 1024, count * 8 < capacity else { return }
    var copy = Self(minimumCapacity: count * 2)
    for (key, value) in self { copy[key] = value }
    self = copy
  }
}
