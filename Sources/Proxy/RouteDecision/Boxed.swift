/// An immutable value on the heap: what keeps the rarely set fields of a
/// large value type (`RoutedCall`'s fork and DID fields, `CallSummary`'s
/// DID fields) behind one reference, so the common call copies 8 bytes of
/// them, not hundreds (BENCHMARKS.md, "CPU per call won back"). A change
/// makes a new box, so the owner keeps its value semantics.
final class Boxed<Value: Sendable & Equatable>: Sendable, Equatable {
  let value: Value

  init(_ value: Value) { self.value = value }

  static func == (lhs: Boxed, rhs: Boxed) -> Bool { lhs === rhs || lhs.value == rhs.value }
}
