#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// One OS thread running one closure, for work that blocks (fsync, libpq)
/// and so must stay off the event loops and the Swift concurrency pool.
/// `join()` waits for the closure to return.
final class DedicatedThread: @unchecked Sendable {
  private var thread: pthread_t?
  private let lock = ConditionLock()
  private var joined = false

  /// Starts `body` on a new thread. (`name` documents the thread's role;
  /// Glibc's `pthread_setname_np` is not visible to Swift without _GNU_SOURCE.)
  init(name: String, _ body: @escaping @Sendable () -> Void) {
    final class Box {
      let body: @Sendable () -> Void
      init(body: @escaping @Sendable () -> Void) { self.body = body }
    }
    let box = Unmanaged.passRetained(Box(body: body)).toOpaque()
    var thread = pthread_t()
    let result = pthread_create(
      &thread, nil,
      { raw in
        let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
        box.body()
        return nil
      }, box)
    precondition(result == 0, "pthread_create failed: \(result)")
    self.thread = thread
  }

  /// Runs `body` on a new thread that nobody joins.
  static func detach(name: String, _ body: @escaping @Sendable () -> Void) {
    let thread = DedicatedThread(name: name, body)
    if let handle = thread.lock.withLock({ () -> pthread_t? in
      defer { thread.thread = nil }
      return thread.thread
    }) {
      pthread_detach(handle)
    }
  }

  /// Waits until the thread's closure has returned. Safe to call more than
  /// once and from several threads; never call it from the thread itself.
  func join() {
    let thread: pthread_t? = lock.withLock {
      defer { self.thread = nil }
      return self.thread
    }
    if let thread {
      pthread_join(thread, nil)
      lock.withLock {
        joined = true
        lock.broadcast()
      }
    } else {
      lock.withLock { while !joined { lock.wait() } }
    }
  }
}
