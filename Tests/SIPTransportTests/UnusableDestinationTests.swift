import NIOCore
import SIPCore
import Testing

@testable import SIPTransport

@Suite struct UnusableDestinationTests {
  private func check(_ host: String, _ port: Int, fromLoopback: Bool) throws -> UnusableDestination? {
    UnusableDestination.check(try SocketAddress(ipAddress: host, port: port), fromLoopback: fromLoopback)
  }

  @Test func destinationsThatCannotBePeers() throws {
    let refused: [(String, Int, UnusableDestination)] = [
      ("127.0.0.1", 0, .invalidPort), ("::1", 0, .invalidPort),
      ("0.0.0.0", 5060, .unspecified), ("0.1.2.3", 5060, .unspecified), ("::", 5060, .unspecified),
      ("255.255.255.255", 5060, .broadcast),
      ("224.0.0.1", 5060, .multicast), ("239.255.255.250", 5060, .multicast), ("ff02::1", 5060, .multicast),
      ("240.0.0.1", 5060, .reserved),
      ("::ffff:0.0.0.0", 5060, .unspecified), ("::ffff:255.255.255.255", 5060, .broadcast),
    ]
    for (host, port, reason) in refused {
      #expect(try check(host, port, fromLoopback: false) == reason, "\(host):\(port)")
      #expect(try check(host, port, fromLoopback: true) == reason, "\(host):\(port) from loopback")
    }
  }

  @Test func aLoopbackListenerReachesLoopbackOnly() throws {
    for host in ["127.0.0.1", "127.9.8.7", "::1", "::ffff:127.0.0.1"] {
      #expect(try check(host, 5060, fromLoopback: true) == nil, "\(host)")
    }
    for host in ["192.0.2.1", "10.0.0.1", "2001:db8::1", "::ffff:192.0.2.1", "::2"] {
      #expect(try check(host, 5060, fromLoopback: true) == .notLoopback, "\(host)")
      #expect(try check(host, 5060, fromLoopback: false) == nil, "\(host)")
    }
  }

  @Test func streamDestinationsByEndpoint() {
    #expect(UnusableDestination.check(Endpoint(transport: .tcp, host: "127.0.0.1", port: 0)) == .invalidPort)
    #expect(UnusableDestination.check(Endpoint(transport: .tcp, host: "127.0.0.1", port: -1)) == .invalidPort)
    #expect(
      UnusableDestination.check(Endpoint(transport: .tcp, host: "127.0.0.1", port: 70000)) == .invalidPort)
    #expect(UnusableDestination.check(Endpoint(transport: .tcp, host: "0.0.0.0", port: 5060)) == .unspecified)
    // No loopback rule for connections; names are left to the connect.
    #expect(UnusableDestination.check(Endpoint(transport: .tcp, host: "192.0.2.1", port: 5060)) == nil)
    #expect(UnusableDestination.check(Endpoint(transport: .tcp, host: "example.com", port: 5060)) == nil)
  }
}
