/// A snapshot of what the transport layer has done since it was created.
public struct TransportCounters: Sendable, Hashable {
  /// UDP datagrams received, keepalives included.
  public var datagramsReceived = 0
  /// UDP datagrams handed to a socket.
  public var datagramsSent = 0
  /// UDP datagrams made only of CR and LF bytes, dropped (RFC 5626 §3.5.1).
  public var datagramKeepalives = 0
  /// Stream frames (SIP messages) delivered.
  public var framesReceived = 0
  /// Stream frames written to a connection.
  public var framesSent = 0
  /// Unrecoverable stream framing errors; each one closed its connection.
  public var framingErrors = 0
  /// Double-CRLF pings on a stream answered with a CRLF pong (RFC 5626 §3.5.1).
  public var keepalivesAnswered = 0
  /// Sends that failed; each one was reported through `onSendFailure`.
  public var sendFailures = 0
  /// Sends refused before reaching a socket: a destination that cannot be a peer
  /// (`UnusableDestination`). Each one is also a send failure.
  public var destinationsRefused = 0
  /// UDP datagrams dropped because the socket's send buffer was full.
  public var datagramsDropped = 0
  /// TCP connections open now, inbound and outbound.
  public var tcpConnectionsOpen = 0
  /// TCP connections accepted since start.
  public var tcpConnectionsAccepted = 0
  /// Outbound TCP connections established since start.
  public var tcpConnectionsConnected = 0
  /// Inbound TCP connections closed at once: over `tcpMaxConnections` overall.
  public var tcpConnectionsRefusedOverall = 0
  /// Inbound TCP connections closed at once: over `tcpMaxConnectionsPerSource` from one IP.
  public var tcpConnectionsRefusedPerSource = 0
  /// Stream connections closed because a message was not complete within
  /// `tcpMessageTimeoutMs` of its first byte.
  public var tcpMessageTimeouts = 0
  /// TLS handshakes completed, inbound and outbound.
  public var tlsHandshakes = 0
  /// TLS handshakes that failed or did not finish in time; each closed its connection.
  public var tlsHandshakeFailures = 0
  /// Listeners that closed while the transport layer was not shutting down.
  public var listenersClosed = 0

  public init() {}
}
