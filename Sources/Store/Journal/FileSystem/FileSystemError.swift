#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A failed system call on a journal file or directory: what was attempted,
/// on which path, and `strerror(errno)`.
public struct FileSystemError: Error, CustomStringConvertible, Sendable {
  public var operation: String
  public var path: String
  public var errno: Int32

  init(_ operation: String, path: String, errno: Int32) {
    self.operation = operation
    self.path = path
    self.errno = errno
  }

  /// `strerror(errno)`: "No such file or directory".
  public var reason: String { String(cString: strerror(errno)) }

  public var description: String { "\(operation) \(path): \(reason)" }
}
