import NIOCore
import SIPCore

/// The bytes of one SIP message as they arrived: one whole UDP datagram, or one
/// Content-Length delimited frame of a stream.
///
/// For UDP, `bytes` may share storage with the other datagrams of the same
/// `recvmmsg` read: copy them if you keep them for long.
public struct InboundMessage: Sendable {
  public var bytes: ByteBuffer
  /// Where the message came from: transport, the peer's numeric IP (IPv6 without
  /// brackets) and port. RFC 3581 `received`/`rport` are taken from here.
  public var source: Endpoint
  /// The local address of the listener or connection that received it.
  public var local: Endpoint

  public init(bytes: ByteBuffer, source: Endpoint, local: Endpoint) {
    self.bytes = bytes
    self.source = source
    self.local = local
  }
}
