import Glibc

/// Tells systemd about the daemon's state through the `sd_notify` protocol: one
/// AF_UNIX datagram of `KEY=value` lines to the socket named by `$NOTIFY_SOCKET`
/// (a path, or an abstract name starting with `@`). With the variable unset
/// (not started by systemd, or `Type=` is not `notify`) every call does nothing.
///
/// The environment is passed in, so tests can point it at their own socket.
/// Each message opens, sends on and closes a socket of its own, as `sd_notify`
/// does; it is meant for a handful of state changes, not for a hot path.
public struct SystemdNotifier: Sendable {
  /// `$NOTIFY_SOCKET`, or nil when the notifier does nothing.
  public let socketPath: String?

  public init(environment: [String: String]) {
    let path = environment["NOTIFY_SOCKET"] ?? ""
    self.socketPath = path.isEmpty ? nil : path
  }

  /// Whether messages are sent at all.
  public var isEnabled: Bool { socketPath != nil }

  /// `READY=1`: start-up finished (the listeners are bound), or a reload finished.
  public func ready(status: String? = nil) throws(SystemdNotifierError) {
    try send(["READY=1"] + statusLine(status))
  }

  /// `STOPPING=1`: the daemon has begun to shut down.
  public func stopping(status: String? = nil) throws(SystemdNotifierError) {
    try send(["STOPPING=1"] + statusLine(status))
  }

  /// `RELOADING=1`: a reload began; send `ready()` when it is done. Carries
  /// `MONOTONIC_USEC`, which `Type=notify-reload` (systemd 253) requires.
  public func reloading(status: String? = nil) throws(SystemdNotifierError) {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    let microseconds = Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1000
    try send(["RELOADING=1", "MONOTONIC_USEC=\(microseconds)"] + statusLine(status))
  }

  /// `STATUS=...`: a one-line status shown by `systemctl status`.
  public func status(_ text: String) throws(SystemdNotifierError) {
    try send(statusLine(text))
  }

  /// Sends `assignments` (`KEY=value`, one per line) as one datagram.
  public func send(_ assignments: [String]) throws(SystemdNotifierError) {
    guard let socketPath else { return }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    var pathBytes = Array(socketPath.utf8)
    let isAbstract = pathBytes.first == UInt8(ascii: "@")
    if isAbstract {
      pathBytes[0] = 0  // Linux abstract namespace: a leading NUL, no terminator.
    } else {
      guard pathBytes.first == UInt8(ascii: "/") else {
        throw SystemdNotifierError(
          socketPath: socketPath, "NOTIFY_SOCKET is neither an absolute path nor @abstract")
      }
    }
    let capacity = MemoryLayout.size(ofValue: address.sun_path)
    guard pathBytes.count < capacity else {
      throw SystemdNotifierError(socketPath: socketPath, "NOTIFY_SOCKET is longer than \(capacity - 1) bytes")
    }
    withUnsafeMutableBytes(of: &address.sun_path) { sunPath in
      sunPath.copyBytes(from: pathBytes)
    }
    let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path)!
    let addressLength = socklen_t(pathOffset + pathBytes.count + (isAbstract ? 0 : 1))

    let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw SystemdNotifierError(socketPath: socketPath, errno: errno, "socket") }
    defer { close(fd) }

    let message = Array((assignments.joined(separator: "\n") + "\n").utf8)
    let sent = withUnsafePointer(to: &address) { addressPointer in
      addressPointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
        message.withUnsafeBytes { bytes in
          sendto(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), socketAddress, addressLength)
        }
      }
    }
    guard sent == message.count else {
      throw SystemdNotifierError(socketPath: socketPath, errno: errno, "sendto")
    }
  }

  /// `STATUS=` with newlines flattened (a newline would start a new assignment).
  private func statusLine(_ text: String?) -> [String] {
    guard let text else { return [] }
    return ["STATUS=" + text.split(whereSeparator: \.isNewline).joined(separator: " ")]
  }
}
