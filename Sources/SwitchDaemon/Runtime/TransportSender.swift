import NIOCore
import SIPCore
import SIPTransport

/// The proxy core's `MessageSender` on top of the transport layer: serializes
/// a message once, straight into a `ByteBuffer`.
final class TransportSender: MessageSender {
  private let transport: SIPTransportLayer
  private let allocator = ByteBufferAllocator()
  /// HEP capture (`capture.hep_address`), and the listeners' addresses a
  /// copy names as its source.
  private let capture: HEPCapture?
  private let bound: [Endpoint]

  init(transport: SIPTransportLayer, capture: HEPCapture? = nil, bound: [Endpoint] = []) {
    self.transport = transport
    self.capture = capture
    self.bound = bound
  }

  func send(_ message: OutgoingMessage, to destination: Endpoint) {
    let buffer: ByteBuffer
    switch message {
    case .bytes(let bytes):
      buffer = allocator.buffer(bytes: bytes)
    case .message(let message):
      guard let serialized = message.withSerializedBytes({ allocator.buffer(bytes: $0) }) else { return }
      buffer = serialized
    }
    transport.send(buffer, to: destination)
    if let capture { capture.capture(buffer, source: local(for: destination), destination: destination) }
  }

  /// The listener a message to `destination` leaves from (for TCP the
  /// listener's address stands for the connection's).
  private func local(for destination: Endpoint) -> Endpoint {
    bound.first { $0.transport == destination.transport && $0.isIPv6 == destination.isIPv6 }
      ?? bound.first { $0.isIPv6 == destination.isIPv6 } ?? bound.first
      ?? Endpoint(transport: destination.transport, host: "0.0.0.0", port: 0)
  }
}
