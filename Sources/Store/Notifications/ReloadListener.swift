import Logging

/// Listens for `NOTIFY <channel>` on a connection of its own, on a dedicated
/// thread, and calls a handler when reference data changed: the trigger for
/// reloading the snapshot.
///
/// - Debounced: the first notification of a burst schedules one call
///   `debounce` later; notifications arriving meanwhile join that call.
/// - When the database goes away the listener reconnects, waiting
///   `initialReconnectDelay`, doubling, up to `maxReconnectDelay`, and calls
///   the handler once after reconnecting (`.reconnected`), since notifications
///   sent while it was away are lost.
/// - The handler runs on the listener's thread; keep it short (hand the
///   reload to where it belongs).
public final class ReloadListener: @unchecked Sendable {
  /// Why the handler is called.
  public enum Trigger: Sendable, Equatable {
    /// One or more notifications arrived; their payloads in arrival order.
    case notified(payloads: [String])
    /// The connection was re-established after a loss: anything may have changed.
    case reconnected
  }

  public struct Configuration: Sendable {
    public var databaseURL: String
    /// The channel to LISTEN on. Default `didtron_reload`.
    public var channel: String = "didtron_reload"
    public var debounce: Duration = .milliseconds(100)
    public var initialReconnectDelay: Duration = .milliseconds(100)
    public var maxReconnectDelay: Duration = .seconds(5)
    /// Also call the handler (`.reconnected`) after the first connection.
    /// Default false: the daemon loads its snapshot at start anyway.
    public var callOnFirstConnect = false

    public init(databaseURL: String, channel: String = "didtron_reload") {
      self.databaseURL = databaseURL
      self.channel = channel
    }
  }

  /// Counts since the listener was created.
  public struct Counters: Sendable, Equatable {
    /// Notifications received.
    public var notifications = 0
    /// Handler calls.
    public var calls = 0
    /// Failed connection attempts and lost connections.
    public var connectionFailures = 0
    /// Successful connections (the first one included).
    public var connections = 0
  }

  public let configuration: Configuration
  private let handler: @Sendable (Trigger) -> Void
  private let logger: Logger
  private let lock = ConditionLock()
  // Guarded by `lock`:
  private var stopping = false
  private var thread: DedicatedThread?
  private var counters = Counters()

  /// The longest a stop waits for the thread to notice it (one poll).
  static let pollSlice: Duration = .milliseconds(50)

  public init(
    configuration: Configuration, logger: Logger, handler: @escaping @Sendable (Trigger) -> Void
  ) {
    self.configuration = configuration
    self.logger = logger
    self.handler = handler
  }

  public func start() {
    lock.withLock {
      guard thread == nil, !stopping else { return }
      thread = DedicatedThread(name: "didtron-reload") { [self] in run() }
    }
  }

  /// Stops listening and waits for the thread (at most about one poll slice,
  /// or one connection attempt, plus a running handler call).
  public func stop() {
    let thread: DedicatedThread? = lock.withLock {
      stopping = true
      lock.broadcast()
      return self.thread
    }
    thread?.join()
  }

  public var currentCounters: Counters { lock.withLock { counters } }

  private var isStopping: Bool { lock.withLock { stopping } }

  // MARK: the listening thread

  private func run() {
    var delay = configuration.initialReconnectDelay
    var connectedBefore = false
    var failing = false
    while !isStopping {
      let connection: PGConnection
      do {
        connection = try PGConnection(url: configuration.databaseURL)
        try connection.listen(configuration.channel)
      } catch {
        lock.withLock { counters.connectionFailures += 1 }
        if !failing {
          logger.error(
            "reload listener cannot connect to PostgreSQL",
            metadata: ["channel": "\(configuration.channel)", "error": "\(error)"])
        }
        failing = true
        guard wait(delay) else { return }
        delay = min(delay * 2, configuration.maxReconnectDelay)
        continue
      }
      lock.withLock { counters.connections += 1 }
      if failing || connectedBefore {
        logger.notice("reload listener connected again", metadata: ["channel": "\(configuration.channel)"])
      }
      delay = configuration.initialReconnectDelay
      if connectedBefore || configuration.callOnFirstConnect { call(.reconnected) }
      connectedBefore = true
      failing = false
      do {
        try listen(on: connection)
        return  // stopping
      } catch {
        lock.withLock { counters.connectionFailures += 1 }
        logger.error(
          "reload listener lost its connection",
          metadata: ["channel": "\(configuration.channel)", "error": "\(error)"])
        failing = true
        guard wait(delay) else { return }
        delay = min(delay * 2, configuration.maxReconnectDelay)
      }
    }
  }

  /// Waits for notifications until stopping (returns) or the connection is lost (throws).
  private func listen(on connection: PGConnection) throws {
    var payloads: [String] = []
    var dueAt: MonotonicTime?
    while !isStopping {
      var timeout = Self.pollSlice
      if let due = dueAt {
        let left = due - .now()
        if left <= .zero {
          call(.notified(payloads: payloads))
          payloads.removeAll()
          dueAt = nil
          continue
        }
        timeout = min(timeout, left)
      }
      let (seconds, attoseconds) = timeout.components
      let milliseconds = max(1, Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000))
      let notifications = try connection.waitForNotifications(timeoutMs: milliseconds)
      guard !notifications.isEmpty else { continue }
      lock.withLock { counters.notifications += notifications.count }
      payloads.append(contentsOf: notifications.map(\.payload))
      if dueAt == nil { dueAt = .after(configuration.debounce) }
    }
  }

  private func call(_ trigger: Trigger) {
    lock.withLock { counters.calls += 1 }
    handler(trigger)
  }

  /// Waits `delay` unless stopped first; false when stopping.
  private func wait(_ delay: Duration) -> Bool {
    let until = MonotonicTime.after(delay)
    return lock.withLock {
      while !stopping && MonotonicTime.now() < until { lock.wait(until: until) }
      return !stopping
    }
  }
}
