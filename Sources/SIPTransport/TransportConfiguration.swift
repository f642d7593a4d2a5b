/// Tunables of the SIP transport layer.
public struct TransportConfiguration: Sendable, Hashable {
  /// The largest SIP message accepted on a stream, header block and body together
  /// (RFC 3261 §18.3). A larger frame closes its connection. It also sizes each
  /// UDP receive slot, so a datagram up to this size is read whole.
  public var maxMessageSize: Int = 65_535

  /// `SO_RCVBUF` for UDP sockets; `nil` keeps the kernel default. Linux caps it at
  /// `net.core.rmem_max`.
  public var udpReceiveBufferBytes: Int? = 4 << 20

  /// How many datagrams one `recvmmsg` call may read (1 turns vector reads off).
  public var udpVectorReadCount: Int = 32

  /// A TCP connection with no read and no write for this long is closed.
  public var tcpIdleTimeoutSeconds: Int64 = 600

  /// How long an outbound TCP connection attempt may take.
  public var tcpConnectTimeoutMs: Int64 = 2000

  /// A stream message must be complete this long after its first byte arrived,
  /// or its connection is closed (slowloris, a declared but unsent body).
  public var tcpMessageTimeoutMs: Int64 = 5000

  /// Inbound stream connections open at once, all sources together; a connection
  /// over the cap is closed as soon as it is accepted.
  public var tcpMaxConnections: Int = 4096

  /// Inbound stream connections open at once from one source IP address.
  public var tcpMaxConnectionsPerSource: Int = 64

  /// A source that trips a limit (a cap, the message deadline) is logged at most
  /// once per this interval.
  public var abuseLogIntervalSeconds: Int64 = 60

  public init() {}
}
