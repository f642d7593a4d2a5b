import CLibOSIP

/// Body and status-line edits. libosip2 writes `Content-Length` itself on
/// every serialization, from the bodies it holds (right-aligned in five
/// columns: `Content-Length:   129`), so the header is always right after an
/// edit; the parsed `Content-Length` value is updated as well so that
/// `contentLength` agrees.
extension SIPMessage {
  /// The first body's bytes; `nil` without a body. libosip2 keeps a body only
  /// when the message has a `Content-Type`. A `multipart/*` body is held as
  /// its parts, so this is then the first part's content, without its headers.
  public var body: [UInt8]? {
    guard let element = osip_list_get(&raw.pointee.bodies, 0) else { return nil }
    let body = element.assumingMemoryBound(to: osip_body_t.self)
    guard let bytes = body.pointee.body, body.pointee.length > 0 else { return nil }
    return Array(UnsafeRawBufferPointer(start: bytes, count: body.pointee.length))
  }

  /// Makes `bytes` the message's only body, with `Content-Type: contentType`.
  /// Empty bytes remove the body. `false`, with the message unchanged, when
  /// `contentType` is not a `type/subtype` media type, or is `multipart/*`
  /// (libosip2 writes multipart boundaries itself; one opaque body cannot be
  /// one), or when the body is longer than `maximumBodySize`.
  @discardableResult
  public func replaceBody(_ bytes: [UInt8], contentType: String) -> Bool {
    if bytes.isEmpty {
      removeBody()
      return true
    }
    guard bytes.count <= Self.maximumBodySize, let type = Self.parseContentType(contentType) else {
      return false
    }
    removeBodies()
    if let old = raw.pointee.content_type { osip_content_type_free(old) }
    raw.pointee.content_type = type
    let added = bytes.withUnsafeBufferPointer { buffer in
      buffer.withMemoryRebound(to: CChar.self) { osip_message_set_body(raw, $0.baseAddress, $0.count) }
    }
    setContentLength(added == 0 ? bytes.count : 0)
    changed()
    return added == 0
  }

  /// Leaves the message without a body or `Content-Type`; it is then sent
  /// with `Content-Length: 0`.
  public func removeBody() {
    removeBodies()
    if let old = raw.pointee.content_type {
      osip_content_type_free(old)
      raw.pointee.content_type = nil
    }
    setContentLength(0)
    changed()
  }

  /// Replaces a response's status code and reason phrase (a 183 relayed as a
  /// 180, say). `false`, with the message unchanged, for a request, a code
  /// outside 100-699, or a reason phrase holding CR or LF.
  @discardableResult
  public func setStatus(_ code: Int, reason: String) -> Bool {
    guard !isRequest, (100...699).contains(code),
      !reason.utf8.contains(where: { $0 == 13 || $0 == 10 || $0 == 0 })
    else { return false }
    raw.pointee.status_code = Int32(code)
    if let old = raw.pointee.reason_phrase { CLibOSIP_free(old) }
    raw.pointee.reason_phrase = osipString(reason)
    changed()
    return true
  }

  /// The largest body `replaceBody` accepts. libosip2 writes Content-Length
  /// into five reserved columns: 100 000 bytes or more overwrite the header
  /// separator (measured: `Content-Length:100000`, `Content-Length1000000`).
  public static let maximumBodySize = 99_999

  // MARK: Private

  private func removeBodies() {
    while let element = osip_list_get(&raw.pointee.bodies, 0) {
      osip_list_remove(&raw.pointee.bodies, 0)
      osip_body_free(element.assumingMemoryBound(to: osip_body_t.self))
    }
  }

  private func setContentLength(_ length: Int) {
    if let old = raw.pointee.content_length {
      osip_content_length_free(old)
      raw.pointee.content_length = nil
    }
    osip_message_set_content_length(raw, String(length))
  }

  /// A parsed `Content-Type` value the caller owns, or `nil` when it is not one.
  private static func parseContentType(_ text: String) -> UnsafeMutablePointer<osip_content_type_t>? {
    guard !text.utf8.contains(where: { $0 == 13 || $0 == 10 || $0 == 0 }) else { return nil }
    var type: UnsafeMutablePointer<osip_content_type_t>?
    guard osip_content_type_init(&type) == 0, let type else { return nil }
    guard text.withCString({ osip_content_type_parse(type, $0) }) == 0,
      let major = type.pointee.type, type.pointee.subtype != nil,
      String(cString: major).lowercased() != "multipart"
    else {
      osip_content_type_free(type)
      return nil
    }
    return type
  }
}
