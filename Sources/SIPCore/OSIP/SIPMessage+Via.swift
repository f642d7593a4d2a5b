import CLibOSIP

/// The Via header fields (RFC 3261 §8.1.1.7, §16.6 step 8, §18.2.1, RFC 3581):
/// read one or all, put the proxy's own on top, take the top one off, and
/// record where a request really came from. `viaCount` and `topVia` (cached)
/// stay with the class.
extension SIPMessage {
  /// The Via at `index` (0 is the top); walks the list to it, so a loop
  /// over every index should read `vias` instead.
  public func via(at index: Int) -> Via? {
    guard let element = osip_list_get(&raw.pointee.vias, Int32(index)) else { return nil }
    return Self.via(element.assumingMemoryBound(to: osip_via_t.self))
  }

  /// Every Via, top first, in one walk of the list.
  public var vias: [Via] {
    var vias: [Via] = []
    forEachElement(&raw.pointee.vias) { element in
      vias.append(Self.via(element.assumingMemoryBound(to: osip_via_t.self)))
      return true
    }
    return vias
  }

  static func via(_ via: UnsafeMutablePointer<osip_via_t>) -> Via {
    let params = withUnsafeMutablePointer(to: &via.pointee.via_params) { $0 }
    let rport = param(params, "rport")
    return Via(
      transport: swiftString(via.pointee.protocol)?.uppercased() ?? "",
      version: swiftString(via.pointee.version) ?? "",
      host: swiftString(via.pointee.host) ?? "",
      port: swiftString(via.pointee.port).flatMap { Int($0) },
      branch: param(params, "branch")?.value,
      received: param(params, "received")?.value,
      hasRport: rport != nil,
      rportValue: rport?.value.flatMap { Int($0) })
  }

  /// Puts a Via value on top (a proxy's own Via, §16.6 step 8).
  @discardableResult
  public func prependVia(_ value: String) -> Bool {
    let result = value.withCString { osip_message_append_via(raw, $0) }
    changed()
    return result == 0
  }

  /// Removes the top Via (a proxy relaying a response, §16.7 step 3).
  public func removeTopVia() {
    guard let element = osip_list_get(&raw.pointee.vias, 0) else { return }
    osip_list_remove(&raw.pointee.vias, 0)
    osip_via_free(element.assumingMemoryBound(to: osip_via_t.self))
    changed()
  }

  /// Records where the request really came from in its top Via: `received`
  /// when the sent-by host differs (§18.2.1), and when the client asked for
  /// `rport`, its value and `received` even if the host is the same (RFC 3581 §4).
  public func setTopViaSource(_ source: Endpoint) {
    guard let element = osip_list_get(&raw.pointee.vias, 0) else { return }
    let via = element.assumingMemoryBound(to: osip_via_t.self)
    let params = withUnsafeMutablePointer(to: &via.pointee.via_params) { $0 }
    let host = swiftString(via.pointee.host).map { $0.trimmingBrackets() } ?? ""
    let hasRport = Self.param(params, "rport") != nil
    if hasRport || host != source.host {
      Self.setParam(params, "received", source.host)
    }
    if hasRport {
      Self.setParam(params, "rport", String(source.port))
    }
    changed()
  }
}
