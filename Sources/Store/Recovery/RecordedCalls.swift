/// Which calls already have their row in `calls`: at start, the checkpoints
/// an earlier process left open are taken over only for calls with no
/// record yet (a checkpoint whose close was lost to a crash has one).
public enum RecordedCalls {
  /// The ids among `uuids` that `calls` holds (ids that are not uuids are never held).
  public static func existing(_ uuids: [String], in connection: PGConnection) throws -> Set<String> {
    let candidates = uuids.filter { UUIDText.isValid($0) }
    guard !candidates.isEmpty else { return [] }
    let result = try connection.query(
      PGQuery(
        unsafeSQL: "SELECT uuid::text FROM calls WHERE uuid = ANY($1::uuid[])",
        binds: [PGArray.literal(candidates)]))
    var found: Set<String> = []
    for row in 0..<result.rowCount {
      if let id = result.string(row, 0) { found.insert(id) }
    }
    return found
  }
}
