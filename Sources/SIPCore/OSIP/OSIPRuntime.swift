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

/// Walks an osip list without the iterator macros (they have no symbol).
@inline(__always) func forEachElement(
  _ list: UnsafeMutablePointer<osip_list_t>, _ body: (UnsafeMutableRawPointer) -> Bool
) {
  var position: Int32 = 0
  let count = osip_list_size(list)
  while position < count {
    guard let element = osip_list_get(list, position) else { return }
    if !body(element) { return }
    position += 1
  }
}
