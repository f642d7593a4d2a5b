#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The bearer tokens of the admin API, from `admin.token_file`: one per
/// line, `TOKEN` (named "admin") or `NAME:TOKEN`; blank lines and `#`
/// comments are skipped. A request's token is compared in constant time.
/// The name is what change logs say made the change.
public struct AdminTokens: Sendable, Equatable {
  public struct Entry: Sendable, Equatable {
    public var name: String
    public var token: String
  }

  public var entries: [Entry]

  public struct Failure: Error, Equatable, CustomStringConvertible {
    public var description: String
  }

  public init(text: String) throws(Failure) {
    var entries: [Entry] = []
    for raw in text.split(whereSeparator: \.isNewline) {
      let line = raw.trimmingSpaces
      guard !line.isEmpty, !line.hasPrefix("#") else { continue }
      if let colon = line.firstIndex(of: ":") {
        let name = String(line[..<colon])
        let token = String(line[line.index(after: colon)...])
        entries.append(Entry(name: name.isEmpty ? "admin" : name, token: token))
      } else {
        entries.append(Entry(name: "admin", token: String(line)))
      }
    }
    guard !entries.isEmpty else { throw Failure(description: "no token in the file") }
    if let short = entries.first(where: { $0.token.utf8.count < 16 }) {
      throw Failure(description: "the token of \(short.name) is shorter than 16 characters")
    }
    self.entries = entries
  }

  /// Reads `path`, refusing a file other users may read (or write).
  public static func load(path: String) throws(Failure) -> AdminTokens {
    var info = stat()
    guard stat(path, &info) == 0 else {
      throw Failure(description: "cannot read admin.token_file \(path): \(String(cString: strerror(errno)))")
    }
    if info.st_mode & 0o006 != 0 {
      throw Failure(
        description: "admin.token_file \(path) is readable by other users (mode "
          + String(info.st_mode & 0o777, radix: 8) + "): chmod 600 it")
    }
    guard let text = readSmallFile(path) else {
      throw Failure(description: "cannot read admin.token_file \(path)")
    }
    return try AdminTokens(text: text)
  }

  /// The name of the token an `Authorization` header carries, or nil.
  public func name(authorization: String?) -> String? {
    guard let authorization, authorization.count > 7,
      authorization.prefix(7).lowercased() == "bearer "
    else { return nil }
    let offered = Array(authorization.dropFirst(7).trimmingSpaces.utf8)
    var found: String?
    for entry in entries where Self.constantTimeEqual(Array(entry.token.utf8), offered) {
      found = found ?? entry.name
    }
    return found
  }

  static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
    for index in 0..<max(a.count, b.count) {
      difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 1)
    }
    return difference == 0
  }

  /// A file of at most 64 KiB as text; nil when it cannot be read.
  public static func readSmallFile(_ path: String) -> String? {
    guard let file = fopen(path, "r") else { return nil }
    defer { fclose(file) }
    var bytes = [UInt8](repeating: 0, count: 65_536)
    let count = fread(&bytes, 1, bytes.count, file)
    return String(decoding: bytes.prefix(count), as: UTF8.self)
  }
}

extension StringProtocol {
  /// Without leading and trailing spaces, tabs and carriage returns.
  var trimmingSpaces: Substring {
    var text = Substring(self)
    while let first = text.first, first == " " || first == "\t" || first == "\r" { text = text.dropFirst() }
    while let last = text.last, last == " " || last == "\t" || last == "\r" { text = text.dropLast() }
    return text
  }
}
