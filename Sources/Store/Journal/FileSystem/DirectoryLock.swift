#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// An exclusive `flock` on a file in a directory, held until `deinit`, so
/// that two processes never journal into (and replay, and delete from) the
/// same directory.
final class DirectoryLock {
  private let file: FileDescriptor

  /// Takes the lock on `directory/name` without waiting; throws
  /// `FileSystemError` with `EWOULDBLOCK` when another process holds it.
  init(directory: String, name: String) throws {
    let path = directory + "/" + name
    file = try FileDescriptor.openForAppending(path)
    while flock(file.fd, LOCK_EX | LOCK_NB) != 0 {
      if errno == EINTR { continue }
      throw FileSystemError("lock", path: path, errno: errno)
    }
  }
}
