/// Every `phone_numbers` row by its normalised number: one hash lookup per
/// inbound call, whatever the count (bench/DIDLookupBench). Immutable; built
/// with the reference-data snapshot.
public struct DIDDirectory: Sendable {
  private let numbers: [String: DIDNumber]
  /// A user's local wall-clock time at a Unix millisecond instant, in
  /// `users.time_zone` (UTC when it has none): what call-rule schedules are
  /// read against. Built by the loader from the tz database.
  public let localClock: @Sendable (_ userID: String, _ unixMs: Int64) -> WallClock

  /// The users who own numbers, by id: whose wallet and retail ingress
  /// service a forwarded leg or a toll-free leg is charged to and routed by.
  private let owners: [String: RetailUser]

  public init(
    _ numbers: [DIDNumber] = [], owners: [RetailUser] = [],
    localClock: @escaping @Sendable (_ userID: String, _ unixMs: Int64) -> WallClock = { _, unixMs in
      DIDDirectory.utcClock(unixMs)
    }
  ) {
    self.localClock = localClock
    self.owners = Dictionary(owners.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
    var byNumber: [String: DIDNumber] = [:]
    byNumber.reserveCapacity(numbers.count)
    for number in numbers {
      // Two rows for one normalised number: an active one wins, then the lowest id.
      if let kept = byNumber[number.number], !Self.replaces(number, kept) { continue }
      byNumber[number.number] = number
    }
    self.numbers = byNumber
  }

  private static func replaces(_ new: DIDNumber, _ old: DIDNumber) -> Bool {
    if (new.status == .active) != (old.status == .active) { return new.status == .active }
    if let x = Int64(new.id), let y = Int64(old.id) { return x < y }
    return new.id < old.id
  }

  public var count: Int { numbers.count }

  /// The user who owns numbers with this id.
  public func owner(id: String) -> RetailUser? { owners[id] }

  /// The row for a dialled number (with or without `+`), if it is ours.
  @inline(__always)
  public func number(_ dialled: String) -> DIDNumber? {
    // No numbers (a carrier-only switch): not even a hash per call.
    guard !numbers.isEmpty else { return nil }
    return numbers[dialled.utf8.first == UInt8(ascii: "+") ? String(dialled.dropFirst()) : dialled]
  }

  /// A number as the directory keys it: E.164 digits without the leading
  /// `+` (`+15550001001` and `15550001001` are one number). Nothing else is
  /// rewritten: a national number stays as written.
  public static func normalized(_ number: String) -> String {
    number.utf8.first == UInt8(ascii: "+") ? String(number.dropFirst()) : number
  }

  /// The UTC wall clock at `unixMs`.
  public static func utcClock(_ unixMs: Int64) -> WallClock {
    let seconds = unixMs >= 0 ? unixMs / 1000 : (unixMs - 999) / 1000
    let day = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
    // 1970-01-01 was a Thursday (ISO 4).
    return WallClock(
      weekday: Int(((day + 3) % 7 + 7) % 7) + 1, minuteOfDay: Int((seconds - day * 86_400) / 60))
  }
}
