import CLibOSIP

/// libosip2 refused the bytes; `code` is its (negative) error code.
public struct SIPParseError: Error, Sendable, Equatable {
  public let code: Int32
}

/// A SIP request or response, parsed once by libosip2 and serialized once when
/// sent. The only owner of its `osip_message_t`, freed in `deinit`; no osip
/// pointer leaves this folder. Not thread-safe: one message is used on one
/// thread at a time.
public final class SIPMessage {
  /// Internal so the extensions in this folder (`SIPMessage+*.swift`) can edit it.
  let raw: UnsafeMutablePointer<osip_message_t>
  /// The bytes as received, for responses built from them.
  private let original: [UInt8]
  // Values read often on the hot path, converted to Swift once.
  private var cachedTopVia: Via?
  private var cachedMethod: SIPMethod?
  private var cachedCallID: String?
  /// The header section held NUL octets, parsed as `nulStandIn`.
  private var restoresNUL = false
  /// Commas of list fields were hidden from libosip2 (`ListHeaderCommas`).
  private var hidesCommas = false
  private static let nulStandIn: UInt8 = 0xFF

  /// Parses one message. The bytes must already be framed (one datagram cut
  /// by `RawSIPHead.datagramFraming`, or one stream frame).
  public init(parsing bytes: UnsafeRawBufferPointer) throws(SIPParseError) {
    OSIPRuntime.ensure()
    var message: UnsafeMutablePointer<osip_message_t>?
    guard osip_message_init(&message) == 0, let message else { throw SIPParseError(code: -4) }
    guard let base = bytes.baseAddress, bytes.count > 0 else {
      osip_message_free(message)
      throw SIPParseError(code: -5)
    }
    var result: Int32
    var copy: [UInt8]?
    if let headerNUL = Self.firstHeaderNUL(bytes) {
      // C strings cannot hold a NUL; one may stand in a quoted-pair of a
      // quoted-string (RFC 4475 §3.1.1.2). Parse with a stand-in byte that
      // UTF-8 never uses, and put the NUL back when serializing.
      var nulFree = Array(bytes)
      for index in headerNUL..<Self.headerEnd(bytes) where nulFree[index] == 0 {
        nulFree[index] = Self.nulStandIn
      }
      copy = nulFree
      restoresNUL = true
    }
    let hiddenUpTo = ListHeaderCommas.hide(in: bytes, copy: &copy)
    hidesCommas = hiddenUpTo != nil
    if let copy {
      result = copy.withUnsafeBufferPointer {
        $0.withMemoryRebound(to: CChar.self) { osip_message_parse(message, $0.baseAddress, $0.count) }
      }
    } else {
      result = osip_message_parse(message, base.assumingMemoryBound(to: CChar.self), bytes.count)
    }
    guard result == 0 else {
      osip_message_free(message)
      throw SIPParseError(code: result)
    }
    raw = message
    if let hiddenUpTo, !restoresNUL, var received = copy {
      // The parsed copy with its commas back is the bytes as received: no second copy.
      copy = nil
      received.withUnsafeMutableBytes { ListHeaderCommas.restore(in: $0, upTo: hiddenUpTo) }
      original = received
    } else {
      original = Array(bytes)
    }
  }

  /// Parses one message held in an array (tests and locally built messages).
  public static func parse(_ bytes: [UInt8]) throws(SIPParseError) -> SIPMessage {
    let result: Result<SIPMessage, SIPParseError> = bytes.withUnsafeBytes { buffer in
      do throws(SIPParseError) { return .success(try SIPMessage(parsing: buffer)) } catch {
        return .failure(error)
      }
    }
    return try result.get()
  }

  deinit { osip_message_free(raw) }

  // MARK: Start line

  public var isRequest: Bool { raw.pointee.sip_method != nil }

  /// The request method, or for a response `nil`.
  public var method: SIPMethod? {
    if let cachedMethod { return cachedMethod }
    guard let name = raw.pointee.sip_method else { return nil }
    cachedMethod = SIPMethod(String(cString: name))
    return cachedMethod
  }

  public var statusCode: Int { Int(raw.pointee.status_code) }

  public var reasonPhrase: String? { swiftString(raw.pointee.reason_phrase) }

  public var sipVersion: String? { swiftString(raw.pointee.sip_version) }

  public var requestURI: SIPURI? { raw.pointee.req_uri.map(Self.uri) }

  /// Whether the Request-URI's scheme is `sips` (any case), read in place:
  /// asked of every INVITE (RFC 5630), where building `requestURI` costs
  /// more than a thousand instructions.
  public var requestURIIsSIPS: Bool {
    // libosip2's accessors: `raw.pointee.req_uri` copied the whole message struct.
    guard let uri = osip_message_get_uri(raw), let scheme = osip_uri_get_scheme(uri) else { return false }
    // Byte by byte, no iterator (this runs on every INVITE); `&&` stops at
    // the first byte that differs, so a NUL ends a shorter scheme.
    func lower(_ index: Int) -> UInt8 { UInt8(bitPattern: scheme[index]) | 0x20 }
    return lower(0) == UInt8(ascii: "s") && lower(1) == UInt8(ascii: "i") && lower(2) == UInt8(ascii: "p")
      && lower(3) == UInt8(ascii: "s") && scheme[4] == 0
  }

  /// The Request-URI as libosip2 writes it on the wire (escapes included).
  public var requestURIText: String? {
    guard let uri = raw.pointee.req_uri else { return nil }
    var text: UnsafeMutablePointer<CChar>?
    guard osip_uri_to_str(uri, &text) == 0, let text else { return nil }
    defer { CLibOSIP_free(text) }
    return String(cString: text)
  }

  /// Replaces the Request-URI; `false` when `text` is not a URI.
  @discardableResult
  public func setRequestURI(_ text: String) -> Bool {
    var uri: UnsafeMutablePointer<osip_uri_t>?
    guard osip_uri_init(&uri) == 0, let uri else { return false }
    guard text.withCString({ osip_uri_parse(uri, $0) }) == 0 else {
      osip_uri_free(uri)
      return false
    }
    if let old = raw.pointee.req_uri { osip_uri_free(old) }
    raw.pointee.req_uri = uri
    changed()
    return true
  }

  /// Replaces only the user part of the Request-URI.
  public func setRequestURIUser(_ user: String?) {
    guard let uri = raw.pointee.req_uri else { return }
    if let old = uri.pointee.username { CLibOSIP_free(old) }
    uri.pointee.username = user.map(osipString)
    changed()
  }

  // MARK: Dialog and transaction identifiers

  public var callID: String? {
    if let cachedCallID { return cachedCallID }
    guard let callID = raw.pointee.call_id, let number = callID.pointee.number else { return nil }
    var text = String(cString: number)
    if let host = callID.pointee.host { text += "@" + String(cString: host) }
    cachedCallID = text
    return text
  }

  /// The CSeq number (nil when absent or not a 32-bit unsigned number) and method.
  public var cseq: (number: UInt32?, method: String)? {
    guard let cseq = raw.pointee.cseq, let method = cseq.pointee.method else { return nil }
    let number = swiftString(cseq.pointee.number).flatMap { UInt32($0) }
    return (number, String(cString: method))
  }

  public var fromTag: String? { Self.tag(of: raw.pointee.from) }
  public var toTag: String? { Self.tag(of: raw.pointee.to) }
  public var fromURI: SIPURI? { raw.pointee.from.flatMap { $0.pointee.url }.map(Self.uri) }
  public var toURI: SIPURI? { raw.pointee.to.flatMap { $0.pointee.url }.map(Self.uri) }
  public var hasFrom: Bool { raw.pointee.from != nil }
  public var hasTo: Bool { raw.pointee.to != nil }

  /// Adds a tag to the To header (a UAS or a proxy answering on its own).
  public func setToTag(_ tag: String) {
    guard let to = raw.pointee.to else { return }
    osip_uri_param_add(&to.pointee.gen_params, osipString("tag"), osipString(tag))
    changed()
  }

  /// The first Contact URI, if any.
  public var contactURI: SIPURI? {
    guard let contact = osip_list_get(&raw.pointee.contacts, 0) else { return nil }
    let header = contact.assumingMemoryBound(to: osip_from_t.self)
    return header.pointee.url.map(Self.uri)
  }

  // MARK: Via

  public var viaCount: Int { Int(osip_list_size(&raw.pointee.vias)) }

  public var topVia: Via? {
    if let cachedTopVia { return cachedTopVia }
    cachedTopVia = via(at: 0)
    return cachedTopVia
  }

  // MARK: Max-Forwards

  /// The Max-Forwards value; `nil` when absent or not a number 0-255.
  public var maxForwards: Int? {
    guard let header = genericHeader("max-forwards"), let value = header.pointee.hvalue else {
      return nil
    }
    return MaxForwardsValue.parse(value)
  }

  public var hasMaxForwards: Bool { genericHeader("max-forwards") != nil }

  public func setMaxForwards(_ value: Int) {
    if let header = genericHeader("max-forwards") {
      if let old = header.pointee.hvalue { CLibOSIP_free(old) }
      header.pointee.hvalue = osipString(String(value))
    } else {
      osip_message_set_header(raw, "Max-Forwards", String(value))
    }
    changed()
  }

  // MARK: Route and Record-Route

  public var routeCount: Int { Int(osip_list_size(&raw.pointee.routes)) }

  public var topRoute: SIPURI? { route(in: &raw.pointee.routes, at: 0) }

  public func removeTopRoute() {
    guard let element = osip_list_get(&raw.pointee.routes, 0) else { return }
    osip_list_remove(&raw.pointee.routes, 0)
    osip_from_free(element.assumingMemoryBound(to: osip_from_t.self))
    changed()
  }

  public var recordRouteCount: Int { Int(osip_list_size(&raw.pointee.record_routes)) }

  public func recordRoute(at index: Int) -> SIPURI? { route(in: &raw.pointee.record_routes, at: index) }

  /// Puts a Record-Route value on top (§16.6 step 4).
  @discardableResult
  public func prependRecordRoute(_ value: String) -> Bool {
    var header: UnsafeMutablePointer<osip_from_t>?
    guard osip_from_init(&header) == 0, let header else { return false }
    guard value.withCString({ osip_from_parse(header, $0) }) == 0 else {
      osip_from_free(header)
      return false
    }
    osip_list_add(&raw.pointee.record_routes, header, 0)
    changed()
    return true
  }

  // MARK: Other headers

  /// Values of a header libosip2 keeps as a generic header (not Via, From,
  /// To, Call-ID, CSeq, Contact, Route, Record-Route, Content-Type/-Length, ...).
  public func headerValues(_ name: String) -> [String] {
    var values: [String] = []
    let lower = Array(name.lowercased().utf8)
    lower.withUnsafeBufferPointer { lower in
      forEachElement(&raw.pointee.headers) { element in
        let header = element.assumingMemoryBound(to: osip_header_t.self)
        if let hname = header.pointee.hname, let value = header.pointee.hvalue,
          equalsIgnoringCase(hname, lower)
        {
          ListHeaderCommas.append(value, to: &values, hidden: hidesCommas)
        }
        return true
      }
    }
    return values
  }

  public func addHeader(_ name: String, _ value: String) {
    osip_message_set_header(raw, name, value)
    changed()
  }

  /// Accept header media ranges as `type/subtype`, lower-cased.
  public var acceptedTypes: [String] {
    var types: [String] = []
    forEachElement(&raw.pointee.accepts) { element in
      let accept = element.assumingMemoryBound(to: osip_content_type_t.self)
      let type = swiftString(accept.pointee.type) ?? ""
      let subtype = swiftString(accept.pointee.subtype) ?? ""
      types.append("\(type)/\(subtype)".lowercased())
      return true
    }
    return types
  }

  public var contentType: String? {
    guard let type = raw.pointee.content_type else { return nil }
    var text: UnsafeMutablePointer<CChar>?
    guard osip_content_type_to_str(type, &text) == 0, let text else { return nil }
    defer { CLibOSIP_free(text) }
    return String(cString: text)
  }

  /// The declared Content-Length, when present and numeric.
  public var contentLength: Int? {
    raw.pointee.content_length.flatMap { swiftString($0.pointee.value) }.flatMap { Int($0) }
  }

  public var bodyCount: Int { Int(osip_list_size(&raw.pointee.bodies)) }

  // MARK: Serialization

  /// Serializes the message once and hands its bytes to `body`.
  public func withSerializedBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R? {
    var text: UnsafeMutablePointer<CChar>?
    var length = 0
    guard osip_message_to_str(raw, &text, &length) == 0, let text else { return nil }
    defer { CLibOSIP_free(text) }
    if restoresNUL {
      let bytes = UnsafeMutableRawBufferPointer(start: text, count: length)
      let end = Self.headerEnd(UnsafeRawBufferPointer(bytes))
      for index in 0..<end where bytes[index] == Self.nulStandIn { bytes[index] = 0 }
    }
    if hidesCommas { ListHeaderCommas.restore(in: UnsafeMutableRawBufferPointer(start: text, count: length)) }
    return try body(UnsafeRawBufferPointer(start: text, count: length))
  }

  public func serialized() -> [UInt8] {
    withSerializedBytes { Array($0) } ?? []
  }

  /// The bytes as received (for locally built responses and ACKs).
  public func withOriginalBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    try original.withUnsafeBytes(body)
  }

  public var originalBytes: [UInt8] { original }

  // MARK: Private

  private static func firstHeaderNUL(_ bytes: UnsafeRawBufferPointer) -> Int? {
    guard let nul = bytes.firstIndex(of: 0) else { return nil }
    return nul < headerEnd(bytes) ? nul : nil
  }

  /// The index just past the header section's empty line (or the end).
  private static func headerEnd(_ bytes: UnsafeRawBufferPointer) -> Int {
    var index = 3
    while index < bytes.count {
      if bytes[index] == 10, bytes[index - 1] == 13, bytes[index - 2] == 10, bytes[index - 3] == 13 {
        return index + 1
      }
      index += 1
    }
    return bytes.count
  }

  @inline(__always) func changed() {
    cachedTopVia = nil
    osip_message_force_update(raw)
  }

  /// The first generic header named `lowerName`, in one walk of the list.
  func genericHeader(_ lowerName: StaticString) -> UnsafeMutablePointer<osip_header_t>? {
    let lower = UnsafeBufferPointer(start: lowerName.utf8Start, count: lowerName.utf8CodeUnitCount)
    var found: UnsafeMutablePointer<osip_header_t>?
    forEachElement(&raw.pointee.headers) { element in
      let header = element.assumingMemoryBound(to: osip_header_t.self)
      guard let hname = header.pointee.hname, equalsIgnoringCase(hname, lower) else { return true }
      found = header
      return false
    }
    return found
  }

  private func route(in list: UnsafeMutablePointer<osip_list_t>, at index: Int) -> SIPURI? {
    guard let element = osip_list_get(list, Int32(index)) else { return nil }
    return element.assumingMemoryBound(to: osip_from_t.self).pointee.url.map(Self.uri)
  }

  private static func tag(of header: UnsafeMutablePointer<osip_from_t>?) -> String? {
    guard let header else { return nil }
    let params = withUnsafeMutablePointer(to: &header.pointee.gen_params) { $0 }
    return param(params, "tag")?.value
  }

  static func param(_ list: UnsafeMutablePointer<osip_list_t>, _ name: StaticString)
    -> URIParameter?
  {
    var found: UnsafeMutablePointer<osip_uri_param_t>?
    let result = name.withUTF8Buffer { buffer in
      buffer.withMemoryRebound(to: CChar.self) {
        osip_uri_param_get_byname(list, UnsafeMutablePointer(mutating: $0.baseAddress), &found)
      }
    }
    guard result == 0, let found, let gname = found.pointee.gname else { return nil }
    return URIParameter(name: String(cString: gname), value: swiftString(found.pointee.gvalue))
  }

  static func setParam(
    _ list: UnsafeMutablePointer<osip_list_t>, _ name: StaticString, _ value: String
  ) {
    var found: UnsafeMutablePointer<osip_uri_param_t>?
    let result = name.withUTF8Buffer { buffer in
      buffer.withMemoryRebound(to: CChar.self) {
        osip_uri_param_get_byname(list, UnsafeMutablePointer(mutating: $0.baseAddress), &found)
      }
    }
    if result == 0, let found {
      if let old = found.pointee.gvalue { CLibOSIP_free(old) }
      found.pointee.gvalue = osipString(value)
    } else {
      name.withUTF8Buffer { buffer in
        buffer.withMemoryRebound(to: CChar.self) {
          _ = osip_uri_param_add(list, osip_strdup($0.baseAddress), osipString(value))
        }
      }
    }
  }

  static func uri(_ uri: UnsafeMutablePointer<osip_uri_t>) -> SIPURI {
    var parameters: [URIParameter] = []
    let params = withUnsafeMutablePointer(to: &uri.pointee.url_params) { $0 }
    forEachElement(params) { element in
      let param = element.assumingMemoryBound(to: osip_uri_param_t.self)
      if let name = param.pointee.gname {
        parameters.append(URIParameter(name: String(cString: name), value: swiftString(param.pointee.gvalue)))
      }
      return true
    }
    let scheme = swiftString(uri.pointee.scheme) ?? ""
    return SIPURI(
      scheme: scheme,
      user: swiftString(uri.pointee.username),
      host: swiftString(uri.pointee.host),
      port: swiftString(uri.pointee.port).flatMap { Int($0) },
      parameters: parameters,
      hasHeaders: osip_list_size(&uri.pointee.url_headers) > 0)
  }
}
