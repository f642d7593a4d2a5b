#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// An open file, closed in `deinit`. Every call blocks: use it only on the
/// Store's dedicated threads.
final class FileDescriptor {
  let fd: Int32
  let path: String

  private init(fd: Int32, path: String) {
    self.fd = fd
    self.path = path
  }

  deinit { close(fd) }

  /// Opens `path` for appending, creating it (mode 0640) when absent.
  static func openForAppending(_ path: String) throws -> FileDescriptor {
    let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
    guard fd >= 0 else { throw FileSystemError("open", path: path, errno: errno) }
    return FileDescriptor(fd: fd, path: path)
  }

  /// Opens `path` read-only.
  static func openForReading(_ path: String) throws -> FileDescriptor {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw FileSystemError("open", path: path, errno: errno) }
    return FileDescriptor(fd: fd, path: path)
  }

  /// Opens a directory so that it can be fsync'd (new or removed entries).
  static func openDirectory(_ path: String) throws -> FileDescriptor {
    let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard fd >= 0 else { throw FileSystemError("open", path: path, errno: errno) }
    return FileDescriptor(fd: fd, path: path)
  }

  /// Writes all of `bytes`, retrying short writes and EINTR.
  func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
    var offset = 0
    while offset < bytes.count {
      let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
      if n < 0 {
        if errno == EINTR { continue }
        throw FileSystemError("write", path: path, errno: errno)
      }
      offset += n
    }
  }

  func writeAll(_ bytes: [UInt8]) throws {
    try bytes.withUnsafeBytes { buffer in try writeAll(buffer) }
  }

  /// `fdatasync`: the written data (and the size) reach stable storage.
  func synchronize() throws {
    while fdatasync(fd) != 0 {
      if errno == EINTR { continue }
      throw FileSystemError("fdatasync", path: path, errno: errno)
    }
  }

  /// `fsync`, for directories.
  func synchronizeAll() throws {
    while fsync(fd) != 0 {
      if errno == EINTR { continue }
      throw FileSystemError("fsync", path: path, errno: errno)
    }
  }

  /// Reads up to `count` bytes at `offset`; fewer only at the end of the file.
  func read(at offset: Int, count: Int) throws -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: count)
    var filled = 0
    while filled < count {
      let n = bytes.withUnsafeMutableBytes { buffer in
        pread(fd, buffer.baseAddress! + filled, count - filled, off_t(offset + filled))
      }
      if n < 0 {
        if errno == EINTR { continue }
        throw FileSystemError("read", path: path, errno: errno)
      }
      if n == 0 { break }
      filled += n
    }
    bytes.removeLast(count - filled)
    return bytes
  }

  /// The file's current size in bytes.
  func size() throws -> Int {
    var status = stat()
    guard fstat(fd, &status) == 0 else { throw FileSystemError("stat", path: path, errno: errno) }
    return Int(status.st_size)
  }
}
