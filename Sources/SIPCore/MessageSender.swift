/// What the proxy core hands to the transport layer.
public enum OutgoingMessage {
  /// A parsed (and possibly changed) message, serialized once by the sender.
  case message(SIPMessage)
  /// Bytes built by the core itself (locally generated responses).
  case bytes([UInt8])
}

/// The port through which the proxy core sends. The daemon implements it on
/// top of `SIPTransport`; tests implement it with a recorder.
///
/// Called on the thread that owns the proxy core. A send never blocks and never
/// throws: a transport failure comes back to the core as `transportError(to:)`.
public protocol MessageSender: AnyObject {
  func send(_ message: OutgoingMessage, to destination: Endpoint)
}
