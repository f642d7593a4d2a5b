#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A mutex with one condition variable, for the Store's dedicated threads
/// (journal writer, database writer, reload listener). Timed waits use the
/// monotonic clock, so a wall-clock jump neither shortens nor stretches them.
final class ConditionLock: @unchecked Sendable {
  private let mutex: UnsafeMutablePointer<pthread_mutex_t>
  private let condition: UnsafeMutablePointer<pthread_cond_t>

  init() {
    mutex = .allocate(capacity: 1)
    mutex.initialize(to: pthread_mutex_t())
    pthread_mutex_init(mutex, nil)
    condition = .allocate(capacity: 1)
    condition.initialize(to: pthread_cond_t())
    var attributes = pthread_condattr_t()
    pthread_condattr_init(&attributes)
    #if canImport(Glibc)
      pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
    #endif
    pthread_cond_init(condition, &attributes)
    pthread_condattr_destroy(&attributes)
  }

  deinit {
    pthread_cond_destroy(condition)
    condition.deallocate()
    pthread_mutex_destroy(mutex)
    mutex.deallocate()
  }

  /// Runs `body` holding the lock.
  @inline(__always)
  func withLock<T>(_ body: () throws -> T) rethrows -> T {
    pthread_mutex_lock(mutex)
    defer { pthread_mutex_unlock(mutex) }
    return try body()
  }

  /// Wakes every waiter. Call with or without the lock held.
  func broadcast() { pthread_cond_broadcast(condition) }

  /// Waits for a broadcast. Call only with the lock held (inside `withLock`).
  func wait() { pthread_cond_wait(condition, mutex) }

  /// Waits for a broadcast or until `deadline` (a `MonotonicTime`). Call only
  /// with the lock held. Returns false on timeout.
  @discardableResult
  func wait(until deadline: MonotonicTime) -> Bool {
    var time = deadline.timeSpec
    return pthread_cond_timedwait(condition, mutex, &time) == 0
  }
}
