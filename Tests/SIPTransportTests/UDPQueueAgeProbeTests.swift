import Glibc
import NIOCore
import SIPCore
import Testing

@testable import SIPTransport

/// The probe datagram through a UDP listener's receive queue
/// (`UDPQueueAgeProbe`, docs/overload.md): real loopback sockets, the
/// listener read by hand; the times are injected.
@Suite struct UDPQueueAgeProbeTests {
  /// A plain UDP socket bound to `host` on a free port, reading with a 2 s timeout.
  final class Listener {
    let fd: CInt
    let endpoint: Endpoint

    init(host: String = "127.0.0.1") throws {
      let address = try SocketAddress(ipAddress: host, port: 0)
      let fd = try UDPSocket.makeBound(address, ipv6Only: address.protocol == .inet6)
      self.fd = fd
      var timeout = timeval(tv_sec: 2, tv_usec: 0)
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
      var storage = sockaddr_storage()
      var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
      _ = withUnsafeMutablePointer(to: &storage) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
      }
      let port = UDPQueueAgeProbeTests.hostPort(storage).port
      endpoint = Endpoint(transport: .udp, host: host, port: port)
    }

    deinit { UDPSocket.close(fd) }

    /// The next datagram, as the transport would deliver it (listener `local` as given).
    func read(local: Endpoint? = nil) throws -> InboundMessage {
      var buffer = [UInt8](repeating: 0, count: 2048)
      var storage = sockaddr_storage()
      var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
      let count = withUnsafeMutablePointer(to: &storage) { address in
        address.withMemoryRebound(to: sockaddr.self, capacity: 1) {
          recvfrom(fd, &buffer, buffer.count, 0, $0, &length)
        }
      }
      guard count >= 0 else { throw SocketCallError(call: "recvfrom", code: errno) }
      let source = UDPQueueAgeProbeTests.hostPort(storage)
      return InboundMessage(
        bytes: ByteBuffer(bytes: buffer.prefix(count)),
        source: Endpoint(transport: .udp, host: source.host, port: source.port),
        local: local ?? endpoint)
    }
  }

  /// The numeric host and port of a socket address.
  static func hostPort(_ storage: sockaddr_storage) -> (host: String, port: Int) {
    var storage = storage
    var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
    if CInt(storage.ss_family) == AF_INET6 {
      return withUnsafePointer(to: &storage) {
        $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { address in
          var bytes = address.pointee.sin6_addr
          inet_ntop(AF_INET6, &bytes, &text, socklen_t(text.count))
          return (String(cString: text), Int(UInt16(bigEndian: address.pointee.sin6_port)))
        }
      }
    }
    return withUnsafePointer(to: &storage) {
      $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { address in
        var bytes = address.pointee.sin_addr
        inet_ntop(AF_INET, &bytes, &text, socklen_t(text.count))
        return (String(cString: text), Int(UInt16(bigEndian: address.pointee.sin_port)))
      }
    }
  }

  static let second: Int64 = 1_000_000_000
  static let ms: Int64 = 1_000_000

  @Test func theAgeOfTheProbeWhenTheLoopReadsItIsTheQueueDelay() throws {
    let listener = try Listener()
    let probe = try UDPQueueAgeProbe(listeners: [listener.endpoint])
    // Nothing measured yet; the first probe goes out.
    #expect(probe.sample(nowNs: Self.second) == 0)
    let message = try listener.read()
    #expect(UDPQueueAgeProbe.isProbe(message.bytes))
    // The loop read it 7 ms later: the next sample says 7 ms, and sends another.
    #expect(probe.arrived(message, nowNs: Self.second + 7 * Self.ms))
    #expect(probe.sample(nowNs: Self.second + 10 * Self.ms) == 7)
    // That one is not back 15 ms later: at least 15 ms, growing while it is away.
    #expect(probe.sample(nowNs: Self.second + 25 * Self.ms) == 15)
    #expect(probe.sample(nowNs: Self.second + 35 * Self.ms) == 25)
    let second = try listener.read()
    #expect(probe.arrived(second, nowNs: Self.second + 40 * Self.ms))
    #expect(probe.sample(nowNs: Self.second + 45 * Self.ms) == 30)
    #expect(probe.lost == 0)
  }

  @Test func aProbeThatDoesNotComeBackIsSentAgainAndALateOneChangesNothing() throws {
    let listener = try Listener()
    let probe = try UDPQueueAgeProbe(listeners: [listener.endpoint], resendAfterMs: 1_000)
    _ = probe.sample(nowNs: Self.second)
    let late = try listener.read()
    // A second and 10 ms away: it counts with its age and is sent again.
    #expect(probe.sample(nowNs: 2 * Self.second + 10 * Self.ms) == 1_010)
    #expect(probe.lost == 1)
    // The first one comes back now: ours, but not the one awaited.
    #expect(probe.arrived(late, nowNs: 2 * Self.second + 11 * Self.ms))
    #expect(probe.sample(nowNs: 2 * Self.second + 20 * Self.ms) == 10)
    let again = try listener.read()
    #expect(probe.arrived(again, nowNs: 2 * Self.second + 22 * Self.ms))
    #expect(probe.sample(nowNs: 2 * Self.second + 30 * Self.ms) == 12)
  }

  @Test func onlyProbesFromTheProbeSocketToTheirListenerAreTaken() throws {
    let listener = try Listener()
    let other = try Listener()
    let probe = try UDPQueueAgeProbe(listeners: [listener.endpoint, other.endpoint])
    _ = probe.sample(nowNs: Self.second)
    let message = try listener.read()
    // Another sender's bytes, the same length: not a probe.
    var forged = message
    forged.bytes = ByteBuffer(bytes: [UInt8](repeating: 65, count: UDPQueueAgeProbe.length))
    #expect(!probe.arrived(forged, nowNs: Self.second))
    // The probe's bytes from another port: not ours (goes on as a datagram).
    var spoofed = message
    spoofed.source.port = message.source.port == 1 ? 2 : 1
    #expect(!probe.arrived(spoofed, nowNs: Self.second))
    // A SIP message is never taken.
    let sip = InboundMessage(
      bytes: ByteBuffer(string: "OPTIONS sip:a@b SIP/2.0\r\n\r\n"), source: message.source,
      local: message.local)
    #expect(!probe.arrived(sip, nowNs: Self.second))
    #expect(probe.arrived(message, nowNs: Self.second + 3 * Self.ms))
    // Each listener has its probe: the worst age is the queue delay.
    let toOther = try other.read()
    #expect(probe.arrived(toOther, nowNs: Self.second + 9 * Self.ms))
    #expect(probe.sample(nowNs: Self.second + 10 * Self.ms) == 9)
  }

  @Test func aWildcardListenerIsProbedOnLoopbackInBothFamilies() throws {
    for (wildcard, loopback) in [("0.0.0.0", "127.0.0.1"), ("::", "::1")] {
      let listener = try Listener(host: wildcard)
      let probe = try UDPQueueAgeProbe(listeners: [listener.endpoint])
      _ = probe.sample(nowNs: Self.second)
      let message = try listener.read()
      #expect(message.source.host == loopback)
      #expect(probe.arrived(message, nowNs: Self.second + Self.ms))
      #expect(probe.sample(nowNs: Self.second + 2 * Self.ms) == 1)
    }
  }

  @Test func tcpAndTlsListenersGetNoProbe() throws {
    let probe = try UDPQueueAgeProbe(listeners: [
      Endpoint(transport: .tcp, host: "127.0.0.1", port: 5060),
      Endpoint(transport: .tls, host: "127.0.0.1", port: 5061),
    ])
    #expect(probe.sample(nowNs: Self.second) == 0)
    #expect(probe.sample(nowNs: 3 * Self.second) == 0)
  }
}
