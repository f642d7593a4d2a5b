import JSON
import Logging

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// `admin.state_file`: the drained interconnects and services, kept across
/// restarts as `{"drained":["id",...]}`, written whole (a temporary file
/// renamed over it) after every change, in the order of the changes (a
/// few bytes, on the core's loop: an operator's action, not a call's).
struct TrunkStateFile: Sendable {
  let path: String
  let logger: Logger

  /// The ids the file holds; empty when it does not exist or cannot be read (logged).
  func load() -> Set<String> {
    guard access(path, F_OK) == 0 else { return [] }
    guard let text = AdminTokens.readSmallFile(path), let value = try? JSONParser.parse(text),
      let ids = value["drained"]?.arrayValue
    else {
      logger.error("admin.state_file \(path) cannot be read: no trunk is drained")
      return []
    }
    return Set(ids.compactMap(\.stringValue))
  }

  func save(_ ids: Set<String>) {
    let text = JSONValue.object([("drained", .array(ids.sorted().map { .string($0) }))]).serialized + "\n"
    do {
      let temporary = path + ".tmp"
      guard let file = fopen(temporary, "w") else {
        logger.error("admin.state_file \(path) cannot be written: \(String(cString: strerror(errno)))")
        return
      }
      let written = fputs(text, file) >= 0
      fclose(file)
      if !written || rename(temporary, path) != 0 {
        logger.error("admin.state_file \(path) cannot be written")
      }
    }
  }
}
