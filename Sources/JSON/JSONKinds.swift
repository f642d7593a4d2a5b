/// Which kinds of value a reader accepts (`JSONParser.parse(_:limits:allowing:)`):
/// a `jsonb` column that holds only objects, strings and integers is read with
/// `[.objects, .strings, .numbers]`, and anything else is refused where it stands.
public struct JSONKinds: OptionSet, Sendable {
  public let rawValue: UInt8
  public init(rawValue: UInt8) { self.rawValue = rawValue }

  public static let objects = JSONKinds(rawValue: 1 << 0)
  public static let arrays = JSONKinds(rawValue: 1 << 1)
  public static let strings = JSONKinds(rawValue: 1 << 2)
  public static let numbers = JSONKinds(rawValue: 1 << 3)
  public static let booleans = JSONKinds(rawValue: 1 << 4)
  public static let null = JSONKinds(rawValue: 1 << 5)
  public static let all: JSONKinds = [.objects, .arrays, .strings, .numbers, .booleans, .null]

  /// "objects, strings and integers": the kinds in the set, for error messages.
  var names: String {
    let named: [(JSONKinds, String)] = [
      (.objects, "objects"), (.arrays, "arrays"), (.strings, "strings"), (.numbers, "integers"),
      (.booleans, "booleans"), (.null, "null"),
    ]
    let names = named.filter { contains($0.0) }.map(\.1)
    guard names.count > 1 else { return names.first ?? "nothing" }
    return names.dropLast().joined(separator: ", ") + " and " + names[names.count - 1]
  }
}
