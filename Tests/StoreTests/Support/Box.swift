@testable import Store

/// A value shared with callbacks on other threads.
final class Box<Value>: @unchecked Sendable {
  private let lock = ConditionLock()
  private var stored: Value

  init(_ value: Value) { stored = value }

  var value: Value { lock.withLock { stored } }

  func mutate(_ body: (inout Value) -> Void) { lock.withLock { body(&stored) } }

  func set(_ value: Value) { lock.withLock { stored = value } }
}
