import Glibc

/// A fresh directory under /tmp, removed with its files by `remove()`.
struct TemporaryDirectory {
  let path: String

  init() {
    var template = Array("/tmp/didtron-store-test-XXXXXX".utf8CString)
    let created = template.withUnsafeMutableBufferPointer { buffer in
      mkdtemp(buffer.baseAddress!).map { String(cString: $0) }
    }
    precondition(created != nil, "mkdtemp failed")
    path = created!
  }

  var files: [String] {
    guard let directory = opendir(path) else { return [] }
    defer { closedir(directory) }
    var names: [String] = []
    while let entry = readdir(directory) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
      }
      if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted()
  }

  /// `files` without the journal's lock file.
  var journalFiles: [String] { files.filter { $0 != "journal.lock" } }

  func read(_ name: String) -> [UInt8] {
    let fd = open(path + "/" + name, O_RDONLY)
    guard fd >= 0 else { return [] }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
      let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
      if n <= 0 { break }
      bytes += chunk[0..<n]
    }
    return bytes
  }

  func write(_ name: String, _ bytes: [UInt8]) {
    let fd = open(path + "/" + name, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    precondition(fd >= 0, "cannot create \(name)")
    defer { close(fd) }
    _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
  }

  func delete(_ name: String) { unlink(path + "/" + name) }

  func remove() {
    for name in files { unlink(path + "/" + name) }
    rmdir(path)
  }
}
