import NIOCore
import SIPTransport

/// The requests that may start a call (new INVITEs and CANCELs, by
/// `NewCallSniff`), waiting behind the core loop's other work, oldest first.
///
/// The core reads every message as it comes and handles responses and
/// in-dialog requests at once: they finish calls already taken. New calls
/// wait here, so under load the queue is here, where its age can be read and
/// its oldest shed, and not in the kernel's receive buffer in front of the
/// responses (docs/overload.md, "What waits").
struct NewCallQueue {
  struct Entry {
    var message: InboundMessage
    var arrivedNs: Int64
  }

  /// The most requests held; past it the oldest is dropped (counted), as the
  /// kernel drops datagrams from a full receive buffer.
  let capacity: Int
  private var entries = CircularBuffer<Entry>(initialCapacity: 64)
  /// Requests dropped because the queue was full.
  private(set) var dropped = 0

  init(capacity: Int) {
    self.capacity = max(1, capacity)
  }

  var isEmpty: Bool { entries.isEmpty }
  var count: Int { entries.count }

  /// Adds a copy of `message`'s bytes (a UDP datagram shares its storage with
  /// the others of its `recvmmsg` read, which must not be held).
  mutating func append(_ message: InboundMessage, nowNs: Int64) {
    if entries.count >= capacity {
      _ = entries.removeFirst()
      dropped += 1
    }
    var copy = message
    copy.bytes = ByteBuffer(bytes: message.bytes.readableBytesView)
    entries.append(Entry(message: copy, arrivedNs: nowNs))
  }

  mutating func popFirst() -> Entry? {
    entries.popFirst()
  }

  /// How long the oldest request has waited (0 when empty).
  func headAgeNs(nowNs: Int64) -> Int64 {
    guard let first = entries.first else { return 0 }
    return max(0, nowNs - first.arrivedNs)
  }
}
