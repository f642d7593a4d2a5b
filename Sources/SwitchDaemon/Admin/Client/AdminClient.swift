#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A tiny blocking HTTP/1.1 client for `didtron-switch ctl`: one request per
/// connection (`Connection: close`), JSON answers, a deadline on connect
/// and on each read. No event loop: the CLI does one thing and exits.
public struct AdminClient: Sendable {
  public var host: String
  public var port: Int
  public var token: String
  public var timeoutSeconds: Int

  public struct Failure: Error, Equatable, CustomStringConvertible {
    public var description: String
  }

  public struct Response: Sendable, Equatable {
    public var status: Int
    public var body: String
  }

  public init(host: String, port: Int, token: String, timeoutSeconds: Int = 10) {
    self.host = host
    self.port = port
    self.token = token
    self.timeoutSeconds = timeoutSeconds
  }

  /// `http://HOST:PORT` (a path after it is ignored) as host and port.
  public static func parse(url: String) -> (host: String, port: Int)? {
    var rest = Substring(url)
    if rest.hasPrefix("http://") { rest = rest.dropFirst(7) }
    rest = rest.prefix { $0 != "/" }
    guard let endpoint = ConfigKey.hostAndPort(String(rest)) else { return nil }
    return (endpoint.host, endpoint.port)
  }

  public func request(_ method: String, _ path: String, body: String? = nil) throws(Failure) -> Response {
    let fd = try connect()
    defer { close(fd) }
    var text = "\(method) \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nAuthorization: Bearer \(token)\r\n"
    text += "Connection: close\r\nAccept: application/json\r\n"
    let payload = body ?? ""
    text += "Content-Length: \(payload.utf8.count)\r\n"
    if body != nil { text += "Content-Type: application/json\r\n" }
    text += "\r\n" + payload
    let bytes = Array(text.utf8)
    var sent = 0
    while sent < bytes.count {
      let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
      guard n > 0 else {
        throw Failure(description: "cannot send to the switch's admin API at \(host):\(port)")
      }
      sent += n
    }
    var received: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65_536)
    while received.count < 64 << 20 {
      let n = recv(fd, &chunk, chunk.count, 0)
      if n == 0 { break }
      guard n > 0 else {
        throw Failure(description: "no answer from the switch's admin API at \(host):\(port)")
      }
      received += chunk.prefix(n)
    }
    return try Self.parseResponse(received)
  }

  static func parseResponse(_ bytes: [UInt8]) throws(Failure) -> Response {
    let separator: [UInt8] = [13, 10, 13, 10]
    guard let end = bytes.indices.first(where: { bytes[$0...].starts(with: separator) }) else {
      throw Failure(description: "the admin API's answer is not HTTP")
    }
    let head = String(decoding: bytes[..<end], as: UTF8.self)
    let statusLine = head.prefix { $0 != "\r" && $0 != "\n" }.split(separator: " ")
    guard statusLine.count >= 2, statusLine[0].hasPrefix("HTTP/1."), let status = Int(statusLine[1]) else {
      throw Failure(description: "the admin API's answer is not HTTP")
    }
    return Response(status: status, body: String(decoding: bytes[(end + 4)...], as: UTF8.self))
  }

  private func connect() throws(Failure) -> Int32 {
    var hints = addrinfo()
    hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
    var list: UnsafeMutablePointer<addrinfo>?
    guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else {
      throw Failure(description: "cannot resolve the admin API's host \(host)")
    }
    defer { freeaddrinfo(list) }
    var lastError = ECONNREFUSED
    var entry: UnsafeMutablePointer<addrinfo>? = first
    while let info = entry {
      entry = info.pointee.ai_next
      let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
      guard fd >= 0 else { continue }
      var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
      _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
      _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
      if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return fd }
      lastError = errno
      close(fd)
    }
    if lastError == ECONNREFUSED {
      throw Failure(
        description: "the switch is not running (nothing listens on its admin API at \(host):\(port))")
    }
    throw Failure(
      description:
        "cannot reach the switch's admin API at \(host):\(port): \(String(cString: strerror(lastError)))")
  }
}
