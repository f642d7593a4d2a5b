#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The directory operations the journal needs: create, list, remove an
/// entry, and fsync so that a created or removed entry survives a crash.
enum Directory {
  /// Creates `path` and its missing parents (mode 0750).
  static func create(_ path: String) throws {
    var prefix = path.hasPrefix("/") ? "" : "."
    for component in path.split(separator: "/") {
      prefix += "/" + component
      if mkdir(prefix, 0o750) != 0 && errno != EEXIST {
        throw FileSystemError("mkdir", path: prefix, errno: errno)
      }
    }
    var status = stat()
    guard stat(path, &status) == 0 else { throw FileSystemError("stat", path: path, errno: errno) }
    guard (status.st_mode & S_IFMT) == S_IFDIR else {
      throw FileSystemError("mkdir", path: path, errno: ENOTDIR)
    }
  }

  /// The names of the entries of `path` (without `.` and `..`), unsorted.
  static func entries(_ path: String) throws -> [String] {
    guard let directory = opendir(path) else { throw FileSystemError("opendir", path: path, errno: errno) }
    defer { closedir(directory) }
    var names: [String] = []
    while let entry = readdir(directory) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
      }
      if name != "." && name != ".." { names.append(name) }
    }
    return names
  }

  static func exists(_ path: String) -> Bool {
    var status = stat()
    return stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR
  }

  /// Removes the file at `path`; a missing file is not an error.
  static func removeFile(_ path: String) throws {
    if unlink(path) != 0 && errno != ENOENT { throw FileSystemError("unlink", path: path, errno: errno) }
  }

  /// Renames `source` to `destination`, replacing it atomically.
  static func rename(_ source: String, to destination: String) throws {
    #if canImport(Glibc)
      let result = Glibc.rename(source, destination)
    #else
      let result = Darwin.rename(source, destination)
    #endif
    if result != 0 { throw FileSystemError("rename", path: source, errno: errno) }
  }

  /// Makes created and removed entries of `path` durable.
  static func synchronize(_ path: String) throws {
    try FileDescriptor.openDirectory(path).synchronizeAll()
  }

  /// The whole file at `path`.
  static func readFile(_ path: String) throws -> [UInt8] {
    let file = try FileDescriptor.openForReading(path)
    return try file.read(at: 0, count: file.size())
  }
}
