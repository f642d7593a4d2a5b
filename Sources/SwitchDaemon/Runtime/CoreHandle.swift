import NIOCore
import SIPCore
import SIPTransport

/// The switch core as the transport layer and the services reach it: on
/// its one event loop, empty until the build function has made it (the
/// core needs the listeners' bound addresses, the transport needs somewhere
/// to deliver from the start).
struct CoreHandle: Sendable {
  let loop: any EventLoop
  let box: NIOLoopBoundBox<SwitchCore?>

  init(loop: any EventLoop) {
    self.loop = loop
    box = NIOLoopBoundBox.makeEmptyBox(valueType: SwitchCore.self, eventLoop: loop)
  }

  /// The transport layer's inbound messages, moved onto the core's loop.
  func receive(_ inbound: InboundMessage) {
    let box = self.box
    if loop.inEventLoop {
      box.value?.receive(inbound)
    } else {
      loop.execute { box.value?.receive(inbound) }
    }
  }

  /// The transport layer could not send to `destination`.
  func transportError(to destination: Endpoint) {
    let box = self.box
    loop.execute { box.value?.proxy.transportError(to: destination) }
  }

  /// Runs `body` on the loop with the core (nil before it exists).
  func submit<T: Sendable>(_ body: @escaping @Sendable (SwitchCore?) -> T) async throws -> T {
    let box = self.box
    return try await loop.submit { body(box.value) }.get()
  }
}
