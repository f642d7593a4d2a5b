import CLibOSIP

/// libosip2's process-wide set-up. `parser_init()` must run exactly once,
/// before any parse, and never again (C-LIBRARIES.md): a `static let` is the
/// once-only guard. Tracing is switched off so that malformed input never
/// reaches stderr.
enum OSIPRuntime {
  static let initialized: Bool = {
    CLibOSIP_silenceTrace()
    return parser_init() == 0
  }()

  @inline(__always) static func ensure() {
    precondition(initialized, "libosip2 parser_init failed")
  }
}

/// A copy of `text` allocated with osip's allocator, for setters that take ownership.
@inline(__always) func osipString(_ text: String) -> UnsafeMutablePointer<CChar> {
  text.withCString { osip_strdup($0) }
}

@inline(__always) func swiftString(_ pointer: UnsafePointer<CChar>?) -> String? {
  guard let pointer else { return nil }
  return String(cString: pointer)
}

/// Walks an osip list with its iterator, in linear time: `osip_list_get(i)`
/// walks from the head each time, so a loop over `i` is quadratic (issue 15).
/// `body` returns `false` to stop.
@inline(__always) func forEachElement(
  _ list: UnsafeMutablePointer<osip_list_t>, _ body: (UnsafeMutableRawPointer) -> Bool
) {
  var iterator = osip_list_iterator_t()
  var element = osip_list_get_first(list, &iterator)
  while let current = element {
    if !body(current) { return }
    element = osip_list_get_next(&iterator)
  }
}

/// Removes, in one linear walk, each element of `list` for which `shouldRemove`
/// returns `true` (after it has freed the element); `true` when any was removed.
@discardableResult
func removeElements(
  _ list: UnsafeMutablePointer<osip_list_t>, where shouldRemove: (UnsafeMutableRawPointer) -> Bool
) -> Bool {
  var removed = false
  var iterator = osip_list_iterator_t()
  var element = osip_list_get_first(list, &iterator)
  while let current = element {
    if shouldRemove(current) {
      removed = true
      element = osip_list_iterator_remove(&iterator)
    } else {
      element = osip_list_get_next(&iterator)
    }
  }
  return removed
}

/// Whether the C string `text` equals `lower` (lower-case ASCII) ignoring ASCII case.
@inline(__always) func equalsIgnoringCase(_ text: UnsafePointer<CChar>, _ lower: UnsafeBufferPointer<UInt8>)
  -> Bool
{
  var index = 0
  while index < lower.count {
    var byte = UInt8(bitPattern: text[index])
    if byte >= 65, byte <= 90 { byte |= 0x20 }
    guard byte == lower[index] else { return false }
    index += 1
  }
  return text[index] == 0
}
