/// How many events one `GET /v1/events` subscriber has been given and the
/// socket has not yet taken: bounded, so a slow reader costs at most
/// `capacity` events of memory and is then disconnected, never waited for.
struct EventSubscriberBuffer: Equatable {
  let capacity: Int
  private(set) var unsent = 0

  init(capacity: Int) { self.capacity = max(1, capacity) }

  /// One more event for the subscriber: false when it already has
  /// `capacity` unsent (it must be disconnected).
  mutating func offer() -> Bool {
    guard unsent < capacity else { return false }
    unsent += 1
    return true
  }

  /// The socket took one event.
  mutating func sent() { unsent = max(0, unsent - 1) }
}
