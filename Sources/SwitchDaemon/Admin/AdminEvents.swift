import NIOCore
import Proxy

/// The call event hub and the core it listens to, on the core's loop: the
/// core makes call events only while someone subscribes.
final class AdminEvents {
  let hub: CallEventHub
  private let core: CoreHandle
  /// Admin connections open now, and the most there may be: every event
  /// stream plus 256 others (a flood of idle connections cannot take the
  /// process's descriptors).
  var connections = 0
  var maxConnections: Int { hub.maxSubscribers + 256 }

  init(core: CoreHandle, maxSubscribers: Int, bufferCapacity: Int) {
    self.core = core
    hub = CallEventHub(maxSubscribers: maxSubscribers, bufferCapacity: bufferCapacity)
  }

  /// Whether the core exists yet (the admin listener opens before it).
  var isReady: Bool { core.box.value != nil }

  /// A new subscriber (nil past the cap); the core makes events from now on.
  func subscribe(
    _ filter: CallEventFilter, send: @escaping (String) -> Void, close: @escaping () -> Void
  ) -> Int? {
    core.loop.preconditionInEventLoop()
    guard let id = hub.subscribe(filter, send: send, close: close) else { return nil }
    if let proxy = core.box.value?.proxy, proxy.callEvents == nil {
      let hub = self.hub
      proxy.callEvents = { hub.publish($0) }
    }
    return id
  }

  func unsubscribe(_ id: Int) {
    core.loop.preconditionInEventLoop()
    hub.unsubscribe(id)
    if hub.isEmpty { core.box.value?.proxy.callEvents = nil }
  }
}
