import NIOCore

struct InboxTimeout: Error, CustomStringConvertible {
  var description: String { "no event before the timeout" }
}

/// A queue of events from channel handlers and callbacks that a test awaits one
/// by one. Every wait is bounded by a timeout scheduled on the event loop, so a
/// failing test ends instead of hanging; nothing sleeps.
///
/// All state is confined to `loop`.
final class Inbox<Item: Sendable>: @unchecked Sendable {
  private let loop: any EventLoop
  private var items: [Item] = []
  private var waiters: [EventLoopPromise<Item>] = []

  init(loop: any EventLoop) {
    self.loop = loop
  }

  func put(_ item: Item) {
    self.loop.execute {
      if self.waiters.isEmpty {
        self.items.append(item)
      } else {
        self.waiters.removeFirst().succeed(item)
      }
    }
  }

  func next(timeout: TimeAmount = .seconds(10)) async throws -> Item {
    try await self.loop.flatSubmit { () -> EventLoopFuture<Item> in
      if !self.items.isEmpty { return self.loop.makeSucceededFuture(self.items.removeFirst()) }
      let promise = self.loop.makePromise(of: Item.self)
      self.waiters.append(promise)
      let timer = self.loop.scheduleTask(in: timeout) {
        if let index = self.waiters.firstIndex(where: { $0.futureResult === promise.futureResult }) {
          self.waiters.remove(at: index)
          promise.fail(InboxTimeout())
        }
      }
      promise.futureResult.whenComplete { _ in timer.cancel() }
      return promise.futureResult
    }.get()
  }

  /// How many events are queued and not yet taken.
  func pendingCount() async throws -> Int {
    try await self.loop.submit { self.items.count }.get()
  }
}

/// Puts everything a channel reads into an inbox.
final class InboxHandler<Item: Sendable>: ChannelInboundHandler {
  typealias InboundIn = Item
  private let inbox: Inbox<Item>

  init(_ inbox: Inbox<Item>) {
    self.inbox = inbox
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    self.inbox.put(Self.unwrapInboundIn(data))
  }
}
