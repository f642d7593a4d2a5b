import NIOCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A system call that failed, with its `errno`.
struct SocketCallError: Error, CustomStringConvertible {
  var call: String
  var code: CInt

  var description: String { "\(self.call): \(String(cString: strerror(self.code))) (errno \(self.code))" }
}

/// The UDP listener sockets, made here rather than by NIO: the listener's channel
/// (which reads) gets the descriptor, and a `dup` of it sends (see `DatagramOutbox`),
/// so a send error can never close the listener.
enum UDPSocket {
  /// A UDP socket bound to `address`; IPv6 ones are IPv6-only (set before `bind`).
  static func makeBound(_ address: SocketAddress, ipv6Only: Bool) throws -> CInt {
    let family = address.protocol.rawValue
    #if canImport(Glibc)
      let type = CInt(SOCK_DGRAM.rawValue) | CInt(SOCK_CLOEXEC.rawValue)
    #else
      let type = SOCK_DGRAM
    #endif
    let fd = socket(family, type, 0)
    guard fd >= 0 else { throw SocketCallError(call: "socket", code: errno) }
    do {
      if ipv6Only {
        var on: CInt = 1
        guard setsockopt(fd, CInt(IPPROTO_IPV6), IPV6_V6ONLY, &on, socklen_t(MemoryLayout<CInt>.size)) == 0
        else { throw SocketCallError(call: "setsockopt(IPV6_V6ONLY)", code: errno) }
      }
      let result = address.withSockAddr { pointer, length in bind(fd, pointer, socklen_t(length)) }
      guard result == 0 else { throw SocketCallError(call: "bind", code: errno) }
    } catch {
      close(fd)
      throw error
    }
    return fd
  }

  /// A second descriptor for the same socket, owned by the caller.
  static func duplicate(_ fd: CInt) throws -> CInt {
    let copy = fcntl(fd, F_DUPFD_CLOEXEC, 0)
    guard copy >= 0 else { throw SocketCallError(call: "dup", code: errno) }
    return copy
  }

  static func close(_ fd: CInt) {
    #if canImport(Glibc)
      _ = Glibc.close(fd)
    #else
      _ = Darwin.close(fd)
    #endif
  }

  /// Whether the socket's local address is a loopback one.
  static func isLoopback(_ address: SocketAddress) -> Bool {
    UnusableDestination.check(address.withPort(5060), fromLoopback: true) == nil
  }
}

extension SocketAddress {
  fileprivate func withPort(_ port: Int) -> SocketAddress {
    var copy = self
    copy.port = port
    return copy
  }
}

/// A destination as `sendmmsg` wants it, converted once and cached.
struct SocketDestination {
  var storage = sockaddr_storage()
  var length: socklen_t = 0

  init(_ address: SocketAddress) {
    address.withSockAddr { pointer, length in
      withUnsafeMutableBytes(of: &self.storage) { target in
        target.copyMemory(from: UnsafeRawBufferPointer(start: pointer, count: length))
      }
      self.length = socklen_t(length)
    }
  }
}
