import CLibPQ

#if canImport(Glibc)
  import Glibc
#endif

/// One blocking libpq connection. Owns the `PGconn` and closes it in
/// `deinit`. Not thread-safe: use one connection per thread, never on an
/// event loop (every call may block on the network).
public final class PGConnection {
  private let connection: OpaquePointer

  /// A notification received on a channel this connection LISTENs to.
  public struct Notification: Sendable, Equatable {
    public var channel: String
    public var payload: String
  }

  /// Connects with a libpq conninfo string or a `postgresql://` URI.
  public init(url: String) throws {
    guard let connection = PQconnectdb(url) else {
      throw PGError(message: "out of memory allocating a connection")
    }
    // Checked before `self.connection` is set: a class init that throws after
    // initialising every stored property runs `deinit`, which would PQfinish twice.
    guard PQstatus(connection) == CONNECTION_OK else {
      let message = Self.errorText(connection)
      PQfinish(connection)
      throw PGError(message: message.isEmpty ? "cannot connect" : message)
    }
    self.connection = connection
    // Server notices (e.g. "relation already exists, skipping") must not reach stderr.
    PQsetNoticeProcessor(connection, { _, _ in }, nil)
  }

  deinit { PQfinish(connection) }

  /// Why libpq cannot parse `url` as a `postgresql://` URI or a conninfo
  /// string (`PQconninfoParse`), or nil when it can. Connects to nothing.
  public static func connectionStringProblem(_ url: String) -> String? {
    var message: UnsafeMutablePointer<CChar>?
    guard let options = PQconninfoParse(url, &message) else {
      defer { if let message { PQfreemem(message) } }
      return trimmed(message.map { String(cString: $0) } ?? "out of memory")
    }
    PQconninfoFree(options)
    return nil
  }

  public var isConnected: Bool { PQstatus(connection) == CONNECTION_OK }

  /// The server's version as an integer (150018 for 15.18).
  public var serverVersion: Int { Int(PQserverVersion(connection)) }

  /// Runs one statement with its binds (text format).
  @discardableResult
  public func query(_ query: PGQuery) throws -> PGResult {
    let binds = query.binds
    let raw: OpaquePointer? = withCStrings(binds) { pointers in
      PQexecParams(connection, query.sql, Int32(binds.count), nil, pointers, nil, nil, 0)
    }
    return try check(raw)
  }

  /// Runs a script of one or more statements without parameters (migrations,
  /// `LISTEN`). Returns nothing; fails on the first error.
  public func execute(script sql: String) throws {
    guard let raw = PQexec(connection, sql) else { throw PGError(message: Self.errorText(connection)) }
    _ = try check(raw)
  }

  /// Runs `body` between `begin` (BEGIN, with its options and any SET LOCAL)
  /// and COMMIT; on any error, ROLLBACK and rethrow.
  public func transaction<T>(_ begin: String = "BEGIN", _ body: () throws -> T) throws -> T {
    try execute(script: begin)
    do {
      let value = try body()
      try execute(script: "COMMIT")
      return value
    } catch {
      try? execute(script: "ROLLBACK")
      throw error
    }
  }

  /// `COPY ... FROM STDIN` with the given data (text format: tab-separated
  /// columns, newline-terminated rows, `\N` for NULL). Returns rows copied.
  @discardableResult
  public func copyIn(_ statement: String, data: [UInt8]) throws -> Int {
    guard let start = PQexec(connection, statement) else {
      throw PGError(message: Self.errorText(connection))
    }
    let status = PQresultStatus(start)
    if status != PGRES_COPY_IN {
      _ = try check(start)
      throw PGError(message: "\(statement) did not start a COPY")
    }
    PQclear(start)
    let sent = data.withUnsafeBufferPointer { buffer in
      buffer.baseAddress.map { base in
        base.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
          PQputCopyData(connection, $0, Int32(buffer.count))
        }
      } ?? 1
    }
    let ended = PQputCopyEnd(connection, sent == 1 ? nil : "client failed to send data")
    var copied = 0
    var failure: PGError?
    while let raw = PQgetResult(connection) {
      do {
        copied = try check(raw).affectedRows
      } catch let error as PGError {
        failure = failure ?? error
      }
    }
    if let failure { throw failure }
    if sent != 1 || ended != 1 { throw PGError(message: Self.errorText(connection)) }
    return copied
  }

  /// Starts listening on `channel` (an identifier; quoted here).
  public func listen(_ channel: String) throws {
    try execute(script: "LISTEN " + quotedIdentifier(channel))
  }

  /// Waits up to `timeoutMs` for notifications and returns those that
  /// arrived (empty on timeout). Throws when the connection is lost.
  public func waitForNotifications(timeoutMs: Int32) throws -> [Notification] {
    var found = drainNotifications()
    if !found.isEmpty { return found }
    let socket = PQsocket(connection)
    guard socket >= 0 else { throw PGError(message: "connection lost") }
    var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
    let ready = poll(&descriptor, 1, timeoutMs)
    if ready < 0 && errno != EINTR { throw PGError(message: "poll failed: errno \(errno)") }
    if ready > 0 {
      guard PQconsumeInput(connection) == 1 else { throw PGError(message: Self.errorText(connection)) }
      found = drainNotifications()
    }
    return found
  }

  private func drainNotifications() -> [Notification] {
    var found: [Notification] = []
    while let notify = PQnotifies(connection) {
      let channel = notify.pointee.relname.map { String(cString: $0) } ?? ""
      let payload = notify.pointee.extra.map { String(cString: $0) } ?? ""
      found.append(Notification(channel: channel, payload: payload))
      PQfreemem(notify)
    }
    return found
  }

  private func check(_ raw: OpaquePointer?) throws -> PGResult {
    guard let raw else { throw PGError(message: Self.errorText(connection)) }
    switch PQresultStatus(raw) {
    case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY, PGRES_COPY_IN, PGRES_COPY_OUT:
      return PGResult(raw)
    default:
      // The PG_DIAG_* field codes are character macros Swift does not import:
      // 'C' SQLSTATE, 'M' primary message, 'D' detail, 'H' hint, 'P' position.
      func field(_ code: Character) -> String? {
        PQresultErrorField(raw, Int32(code.asciiValue!)).map { String(cString: $0) }
      }
      var message: String
      if let primary = field("M") {
        message = primary
        if let detail = field("D") { message += " (\(detail))" }
        if let hint = field("H") { message += "; hint: \(hint)" }
      } else {
        message = PQresultErrorMessage(raw).map { String(cString: $0) } ?? "unknown error"
      }
      let state = field("C").map { SQLState($0) }
      let position = field("P").flatMap { Int($0) }
      PQclear(raw)
      throw PGError(message: Self.trimmed(message), sqlState: state, position: position)
    }
  }

  private static func errorText(_ connection: OpaquePointer) -> String {
    trimmed(PQerrorMessage(connection).map { String(cString: $0) } ?? "")
  }

  private static func trimmed(_ text: String) -> String {
    var text = Substring(text)
    while let last = text.last, last == "\n" || last == " " { text = text.dropLast() }
    return String(text.map { $0 == "\n" || $0 == "\t" ? " " : $0 })
  }
}

/// Calls `body` with a C array of NUL-terminated copies of `strings` (nil for NULL).
private func withCStrings<R>(_ strings: [String?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
  var owned: [UnsafeMutablePointer<CChar>?] = strings.map { $0.map { strdup($0) } ?? nil }
  defer { for pointer in owned { free(pointer) } }
  return owned.withUnsafeMutableBufferPointer { buffer in
    body(buffer.map { $0.map { UnsafePointer($0) } })
  }
}

/// `name` as a double-quoted SQL identifier.
func quotedIdentifier(_ name: String) -> String {
  var quoted = "\""
  for character in name {
    if character == "\"" { quoted.append("\"") }
    quoted.append(character)
  }
  return quoted + "\""
}
