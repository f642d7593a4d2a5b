import NIOCore
import Proxy

/// Fans the proxy core's call events out to `GET /v1/events` subscribers
/// (docs/admin.md), on the core's loop: each event is encoded once, each
/// subscriber whose filter matches gets it unless it already has its
/// buffer full of unsent events, in which case it is disconnected. Calls
/// never wait for a subscriber. At most `maxSubscribers` at once.
final class CallEventHub {
  struct Subscriber {
    var filter: CallEventFilter
    var buffer: EventSubscriberBuffer
    /// Writes one event's text; calls `delivered(id)` once the socket took it.
    let send: (String) -> Void
    /// Closes the stream (slow subscriber).
    let close: () -> Void
  }

  let maxSubscribers: Int
  let bufferCapacity: Int
  private(set) var subscribers: [Int: Subscriber] = [:]
  private var nextID = 0
  /// Events sent so far (the SSE `id:` of the next is this plus one).
  private(set) var sequence: Int64 = 0
  /// Subscribers disconnected for being slow, and refused past the cap.
  private(set) var slowDisconnects = 0
  private(set) var refusals = 0

  init(maxSubscribers: Int, bufferCapacity: Int) {
    self.maxSubscribers = maxSubscribers
    self.bufferCapacity = bufferCapacity
  }

  var isEmpty: Bool { subscribers.isEmpty }

  /// A new subscriber, or nil past the cap.
  func subscribe(
    _ filter: CallEventFilter, send: @escaping (String) -> Void, close: @escaping () -> Void
  ) -> Int? {
    guard subscribers.count < maxSubscribers else {
      refusals += 1
      return nil
    }
    nextID += 1
    subscribers[nextID] = Subscriber(
      filter: filter, buffer: EventSubscriberBuffer(capacity: bufferCapacity), send: send, close: close)
    return nextID
  }

  func unsubscribe(_ id: Int) { subscribers.removeValue(forKey: id) }

  /// The socket took one event of subscriber `id`.
  func delivered(_ id: Int) { subscribers[id]?.buffer.sent() }

  /// One call event, from the core.
  func publish(_ event: CallEvent) {
    guard !subscribers.isEmpty else { return }
    sequence += 1
    var text: String?
    var slow: [Int] = []
    // A send may close its own subscriber's channel at once (which
    // unsubscribes it): each is looked up again, never assumed present.
    for id in Array(subscribers.keys) {
      guard var subscriber = subscribers[id], subscriber.filter.matches(event) else { continue }
      guard subscriber.buffer.offer() else {
        slow.append(id)
        continue
      }
      subscribers[id] = subscriber
      if text == nil { text = Self.frame(event, sequence: sequence) }
      subscriber.send(text!)
    }
    for id in slow {
      slowDisconnects += 1
      subscribers.removeValue(forKey: id)?.close()
    }
  }

  /// One Server-Sent Events frame: `id`, `event` (the state) and `data` (JSON).
  static func frame(_ event: CallEvent, sequence: Int64) -> String {
    "id: \(sequence)\nevent: \(event.state.rawValue)\ndata: \(AdminJSON.event(event, sequence: sequence).serialized)\n\n"
  }
}
