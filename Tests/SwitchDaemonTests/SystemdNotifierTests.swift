import Glibc
import SwitchDaemon
import Testing

@Suite("SystemdNotifier")
struct SystemdNotifierTests {
  /// A unix datagram socket standing in for systemd's notify socket.
  final class NotifySocket {
    let fd: Int32
    /// The `$NOTIFY_SOCKET` value that reaches it.
    let name: String
    private let directory: String?

    /// Bound at a path in a fresh temporary directory, or at an abstract name.
    init(abstract: Bool) throws {
      fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
      try #require(fd >= 0)
      // A failing test must not hang on receive.
      var timeout = timeval(tv_sec: 5, tv_usec: 0)
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
      var pathBytes: [UInt8]
      if abstract {
        directory = nil
        name = "@didtron-switch-test-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        pathBytes = Array(name.utf8)
        pathBytes[0] = 0
      } else {
        var template = Array("/tmp/didtron-notify-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        try #require(made != nil)
        directory = String(cString: made!)
        name = directory! + "/notify.sock"
        pathBytes = Array(name.utf8) + [0]
      }
      var address = sockaddr_un()
      address.sun_family = sa_family_t(AF_UNIX)
      withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: pathBytes) }
      let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path)! + pathBytes.count)
      let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
      }
      try #require(bound == 0, "bind \(name): errno \(errno)")
    }

    /// The next datagram (it is already queued: a unix datagram send is synchronous).
    func receive() throws -> String {
      var buffer = [UInt8](repeating: 0, count: 4096)
      let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
      try #require(n > 0, "recv: errno \(errno)")
      return String(decoding: buffer[0..<n], as: UTF8.self)
    }

    deinit {
      close(fd)
      if let directory {
        unlink(name)
        rmdir(directory)
      }
    }
  }

  @Test func withoutNotifySocketItDoesNothing() throws {
    let notifier = SystemdNotifier(environment: ["PATH": "/usr/bin"])
    #expect(!notifier.isEnabled)
    try notifier.ready()
    try notifier.stopping()
    #expect(!SystemdNotifier(environment: ["NOTIFY_SOCKET": ""]).isEnabled)
  }

  @Test func sendsReadyToAPathSocket() throws {
    let socket = try NotifySocket(abstract: false)
    let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": socket.name])
    #expect(notifier.isEnabled)
    try notifier.ready()
    #expect(try socket.receive() == "READY=1\n")
    try notifier.ready(status: "listening on\nudp:127.0.0.1:5070")
    #expect(try socket.receive() == "READY=1\nSTATUS=listening on udp:127.0.0.1:5070\n")
  }

  @Test func sendsToAnAbstractSocket() throws {
    let socket = try NotifySocket(abstract: true)
    let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": socket.name])
    try notifier.stopping(status: "draining")
    #expect(try socket.receive() == "STOPPING=1\nSTATUS=draining\n")
    try notifier.status("3 calls")
    #expect(try socket.receive() == "STATUS=3 calls\n")
  }

  @Test func reloadingCarriesTheMonotonicClock() throws {
    let socket = try NotifySocket(abstract: false)
    try SystemdNotifier(environment: ["NOTIFY_SOCKET": socket.name]).reloading()
    let lines = try socket.receive().split(separator: "\n")
    #expect(lines.count == 2)
    #expect(lines.first == "RELOADING=1")
    let usec = lines.last.flatMap { $0.hasPrefix("MONOTONIC_USEC=") ? Int64($0.dropFirst(15)) : nil }
    #expect((usec ?? 0) > 0)
  }

  @Test(arguments: [
    ("relative/notify.sock", "NOTIFY_SOCKET is neither an absolute path nor @abstract"),
    ("/nonexistent-didtron/notify.sock", "sendto: No such file or directory"),
    ("/" + String(repeating: "x", count: 200), "NOTIFY_SOCKET is longer than 107 bytes"),
  ])
  func reportsWhatWentWrong(path: String, message: String) {
    let error = #expect(throws: SystemdNotifierError.self) {
      try SystemdNotifier(environment: ["NOTIFY_SOCKET": path]).ready()
    }
    #expect(error?.message == message)
    #expect(error?.description == "systemd notify via \(path): \(message)")
  }
}
