/// Why migrations could not be read or applied. The description is the line
/// `didtron-switch migrate` prints.
public enum MigrationError: Error, Sendable, CustomStringConvertible, Equatable {
  /// The directory cannot be listed.
  case unreadableDirectory(path: String, reason: String)
  /// A file cannot be read, or is not UTF-8.
  case unreadableFile(path: String, reason: String)
  /// A `.sql` file whose name is not `NNNN_name.sql`.
  case badFileName(path: String)
  /// The directory holds no migration.
  case noMigrations(directory: String)
  /// Two files with the same number.
  case duplicateVersion(Int, files: [String])
  /// Numbers must run 1, 2, 3... without a hole.
  case gap(expected: Int, found: String)
  /// Cannot reach the database.
  case cannotConnect(reason: String)
  /// The database has migrations this directory does not: it is newer than these files.
  case databaseAhead(database: Int, files: Int)
  /// The database recorded a different name for a version than the file has.
  case nameMismatch(version: Int, database: String, file: String)
  /// A statement of the file failed; the transaction was rolled back.
  case failed(file: String, message: String)
  /// Reading `schema_migrations` or taking the lock failed.
  case database(message: String)

  public var description: String {
    switch self {
    case .unreadableDirectory(let path, let reason): "cannot read the migrations directory \(path): \(reason)"
    case .unreadableFile(let path, let reason): "cannot read \(path): \(reason)"
    case .badFileName(let path): "\(path): a migration file must be named NNNN_name.sql"
    case .noMigrations(let directory): "no NNNN_name.sql migration files in \(directory)"
    case .duplicateVersion(let version, let files):
      "migration \(version) appears twice: \(files.joined(separator: ", "))"
    case .gap(let expected, let found):
      "migration \(expected) is missing (found \(found) next); versions must run 1, 2, 3... without a gap"
    case .cannotConnect(let reason): "cannot connect to the database: \(reason)"
    case .databaseAhead(let database, let files):
      "the database schema is at version \(database), newer than the migrations here (up to \(files)): "
        + "use the migrations of a newer didtron-switch"
    case .nameMismatch(let version, let database, let file):
      "migration \(version) was applied as \(database) but the file is \(file): wrong migrations directory?"
    case .failed(let file, let message): "\(file) failed and was rolled back: \(message)"
    case .database(let message): "database error: \(message)"
    }
  }
}
