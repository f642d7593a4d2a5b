import NIOCore
import SIPCore
import SIPTransport

/// The proxy core's `MessageSender` on top of the transport layer: serializes
/// a message once, straight into a `ByteBuffer`.
final class TransportSender: MessageSender {
  private let transport: SIPTransportLayer
  private let allocator = ByteBufferAllocator()

  init(transport: SIPTransportLayer) {
    self.transport = transport
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
  }
}
