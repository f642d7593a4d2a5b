import CLibOSIP

/// What the switch reads from an INVITE and its 2xx to send requests into
/// the dialog on its own (a BYE when a call must end): header values as
/// they are on the wire.
extension SIPMessage {
  /// The From header's value (name-addr with its tag).
  public var fromHeaderValue: String? { Self.text(ofNameAddr: raw.pointee.from) }

  /// The To header's value (name-addr with its tag).
  public var toHeaderValue: String? { Self.text(ofNameAddr: raw.pointee.to) }

  /// Each Record-Route value, top first.
  public var recordRouteValues: [String] {
    var values: [String] = []
    forEachElement(&raw.pointee.record_routes) { element in
      if let value = Self.text(ofNameAddr: element.assumingMemoryBound(to: osip_from_t.self)) {
        values.append(value)
      }
      return true
    }
    return values
  }

  /// The first Contact's URI as written on the wire: a dialog's remote target.
  public var remoteTargetText: String? {
    guard let contact = osip_list_get(&raw.pointee.contacts, 0) else { return nil }
    guard let uri = contact.assumingMemoryBound(to: osip_from_t.self).pointee.url else { return nil }
    var text: UnsafeMutablePointer<CChar>?
    guard osip_uri_to_str(uri, &text) == 0, let text else { return nil }
    defer { CLibOSIP_free(text) }
    return String(cString: text)
  }

  private static func text(ofNameAddr header: UnsafeMutablePointer<osip_from_t>?) -> String? {
    guard let header else { return nil }
    var text: UnsafeMutablePointer<CChar>?
    guard osip_from_to_str(header, &text) == 0, let text else { return nil }
    defer { CLibOSIP_free(text) }
    return String(cString: text)
  }
}
