import CLibOSIP

/// Header edits for the identity and privacy headers (P-Asserted-Identity,
/// Remote-Party-ID, Privacy) and the From header. libosip2 keeps the former as
/// generic headers (`headers` list) and From as an `osip_from_t`.
extension SIPMessage {
  // MARK: Generic headers

  /// Removes every generic header named `name` (ASCII case-insensitive; compact forms are not expanded).
  public func removeHeaders(named name: String) {
    let lower = Array(name.lowercased().utf8)
    let removed = lower.withUnsafeBufferPointer { lower in
      removeElements(&raw.pointee.headers) { element in
        let header = element.assumingMemoryBound(to: osip_header_t.self)
        guard let hname = header.pointee.hname, equalsIgnoringCase(hname, lower) else { return false }
        osip_header_free(header)
        return true
      }
    }
    if removed { changed() }
  }

  /// Replaces every generic header named `name` by one with `value`.
  public func setHeader(_ name: String, _ value: String) {
    removeHeaders(named: name)
    addHeader(name, value)
  }

  /// The Privacy header tokens, lower-cased, from every Privacy header
  /// (`Privacy: id; critical` gives `["id", "critical"]`; RFC 3323 §4.2).
  public var privacyTokens: [String] {
    headerValues("privacy").flatMap { value in
      value.split { $0 == ";" || $0 == "," }.map { String($0).trimmingWhitespace().lowercased() }
        .filter { !$0.isEmpty }
    }
  }

  // MARK: Proxy-Authorization

  /// How many Proxy-Authorization headers the message has (RFC 3261 §22.3).
  public var proxyAuthorizationCount: Int { Int(osip_list_size(&raw.pointee.proxy_authorizations)) }

  /// Removes every Proxy-Authorization header: a proxy that checked the
  /// credentials does not pass them on (RFC 3261 §22.3).
  public func removeProxyAuthorizations() {
    let removed = removeElements(&raw.pointee.proxy_authorizations) { element in
      osip_authorization_free(element.assumingMemoryBound(to: osip_authorization_t.self))
      return true
    }
    if removed { changed() }
  }

  // MARK: From

  /// From's display name without its quotes (`"Alice \"A\""` gives `Alice "A"`); nil when it has none.
  public var fromDisplayName: String? {
    guard let from = raw.pointee.from, let name = swiftString(from.pointee.displayname) else { return nil }
    return Self.unquoted(String(name.trimmingWhitespace()))
  }

  /// Edits From's URI user and host and its display name, keeping its tag,
  /// other parameters and the URI's port and parameters. `nil` leaves a part
  /// as it is; `""` removes the user or the display name. For a `tel:` From
  /// the user is the number before its parameters.
  public func setFrom(user: String?, host: String?, displayName: String?) {
    guard let from = raw.pointee.from else { return }
    if let displayName {
      if let old = from.pointee.displayname { CLibOSIP_free(old) }
      from.pointee.displayname = displayName.isEmpty ? nil : osipString(Self.quoted(displayName))
    }
    if let url = from.pointee.url {
      if let user { Self.setUser(of: url, user) }
      if let host, !host.isEmpty, swiftString(url.pointee.scheme).map(Self.isSIPScheme) ?? false {
        if let old = url.pointee.host { CLibOSIP_free(old) }
        url.pointee.host = osipString(host)
      }
    }
    changed()
  }

  /// Makes From `"Anonymous" <sip:anonymous@anonymous.invalid>`, keeping its
  /// tag and other header parameters (RFC 3323 §4.1.1.3): the URI's port,
  /// parameters and headers go with the old URI.
  public func anonymizeFrom() {
    guard let from = raw.pointee.from else { return }
    var url: UnsafeMutablePointer<osip_uri_t>?
    guard osip_uri_init(&url) == 0, let url else { return }
    guard osip_uri_parse(url, "sip:anonymous@anonymous.invalid") == 0 else {
      osip_uri_free(url)
      return
    }
    if let old = from.pointee.url { osip_uri_free(old) }
    from.pointee.url = url
    if let old = from.pointee.displayname { CLibOSIP_free(old) }
    from.pointee.displayname = osipString("\"Anonymous\"")
    changed()
  }

  /// `requestURI?.user`, `fromURI?.user` and `toURI?.user` read in place
  /// through libosip2's accessors: building the whole `SIPURI` (host, port,
  /// parameters) costs more than a thousand instructions, and every call
  /// reads these users (its record's numbers).
  public var requestURIUser: String? {
    guard let uri = osip_message_get_uri(raw) else { return nil }
    return swiftString(osip_uri_get_username(uri))
  }

  /// The Request-URI's scheme (as `requestURI?.scheme`) and whether it
  /// carries `?headers` (`requestURI?.hasHeaders`), read in place: the
  /// decoder asks this of every request. Nil without a Request-URI.
  public var requestURISchemeAndHeaders: (scheme: String, hasHeaders: Bool)? {
    guard let uri = osip_message_get_uri(raw) else { return nil }
    return (swiftString(osip_uri_get_scheme(uri)) ?? "", osip_list_size(&uri.pointee.url_headers) > 0)
  }

  public var fromURIUser: String? {
    guard let from = osip_message_get_from(raw), let uri = osip_from_get_url(from) else { return nil }
    return swiftString(osip_uri_get_username(uri))
  }

  /// (`osip_to_t` is `osip_from_t`; `osip_to_get_url` is a macro.)
  public var toURIUser: String? {
    guard let to = osip_message_get_to(raw), let uri = osip_from_get_url(to) else { return nil }
    return swiftString(osip_uri_get_username(uri))
  }

  /// The From URI as libosip2 writes it on the wire (escapes and URI parameters included).
  public var fromURIText: String? { raw.pointee.from.flatMap { $0.pointee.url }.flatMap(Self.text(of:)) }

  /// The first Contact's URI as libosip2 writes it on the wire.
  public var contactURIText: String? {
    guard let contact = osip_list_get(&raw.pointee.contacts, 0) else { return nil }
    return contact.assumingMemoryBound(to: osip_from_t.self).pointee.url.flatMap(Self.text(of:))
  }

  // MARK: Identity header values

  /// The user part of the first URI in a name-addr or addr-spec header value
  /// such as P-Asserted-Identity or Remote-Party-ID: `"Name" <sip:+123@host>;x`
  /// and `<sip:+123;npdi@host>` give `+123` and `+123;npdi` (user parameters
  /// kept, escapes as written), `<tel:+123;phone-context=x>` gives `+123`.
  /// nil when the URI has no user or the value holds no sip, sips or tel URI.
  public static func userOfURIHeader(_ value: String) -> String? {
    let uri: Substring
    if let open = angleBracketOpen(value) {
      let rest = value[value.index(after: open)...]
      uri = rest[..<(rest.firstIndex(of: ">") ?? rest.endIndex)]
    } else {
      // addr-spec: parameters after the URI are header parameters (RFC 3261 §20);
      // a comma starts the next value.
      var text = value[...].drop { $0 == " " || $0 == "\t" }
      if let comma = text.firstIndex(of: ",") { text = text[..<comma] }
      uri = text
    }
    guard let colon = uri.firstIndex(of: ":") else { return nil }
    let scheme = uri[..<colon].lowercased()
    let rest = uri[uri.index(after: colon)...]
    if scheme == "tel" {
      let number = rest.prefix { $0 != ";" && $0 != "?" && $0 != ">" && $0 != " " }
      return number.isEmpty ? nil : String(number)
    }
    guard isSIPScheme(scheme) else { return nil }
    let userinfo = rest.prefix { $0 != "@" && $0 != ">" && $0 != "?" }
    guard userinfo.endIndex < rest.endIndex, rest[userinfo.endIndex] == "@" else {
      return nil
    }
    // Without angle brackets a `;` before the `@` can only be a user parameter.
    let user = userinfo.prefix { $0 != ":" }
    return user.isEmpty ? nil : String(user)
  }

  // MARK: Private

  /// The `<` that opens the URI, skipping a quoted display name.
  private static func angleBracketOpen(_ value: String) -> String.Index? {
    var inQuotes = false
    var escaped = false
    for index in value.indices {
      let character = value[index]
      if escaped {
        escaped = false
      } else if inQuotes {
        if character == "\\" { escaped = true } else if character == "\"" { inQuotes = false }
      } else if character == "\"" {
        inQuotes = true
      } else if character == "<" {
        return index
      } else if character == "," || character == ";" {
        return nil
      }
    }
    return nil
  }

  private static func isSIPScheme(_ scheme: String) -> Bool {
    let lower = scheme.lowercased()
    return lower == "sip" || lower == "sips"
  }

  private static func setUser(of url: UnsafeMutablePointer<osip_uri_t>, _ user: String) {
    if swiftString(url.pointee.scheme).map(isSIPScheme) ?? true {
      if let old = url.pointee.username { CLibOSIP_free(old) }
      url.pointee.username = user.isEmpty ? nil : osipString(user)
      return
    }
    // Other schemes (tel:) keep their whole text in `string`.
    guard !user.isEmpty else { return }
    let old = swiftString(url.pointee.string) ?? ""
    let parameters = old.firstIndex(of: ";").map { old[$0...] } ?? ""
    if let pointer = url.pointee.string { CLibOSIP_free(pointer) }
    url.pointee.string = osipString(user + parameters)
  }

  private static func text(of url: UnsafeMutablePointer<osip_uri_t>) -> String? {
    var text: UnsafeMutablePointer<CChar>?
    guard osip_uri_to_str(url, &text) == 0, let text else { return nil }
    defer { CLibOSIP_free(text) }
    return String(cString: text)
  }

  /// A quoted-string for a display name (RFC 3261 §25.1): `"` and `\` escaped.
  static func quoted(_ name: String) -> String {
    var text = "\""
    for character in name {
      if character == "\"" || character == "\\" { text.append("\\") }
      if character == "\r" || character == "\n" { continue }
      text.append(character)
    }
    return text + "\""
  }

  /// The text of a quoted-string without its quotes and escapes, byte by
  /// byte (one pass; a display name can be most of a datagram).
  static func unquoted(_ name: String) -> String {
    let bytes = Array(name.utf8)
    let quote = UInt8(ascii: "\"")
    guard bytes.count >= 2, bytes.first == quote, bytes.last == quote else { return name }
    var text: [UInt8] = []
    text.reserveCapacity(bytes.count)
    var escaped = false
    for byte in bytes[1..<(bytes.count - 1)] {
      if escaped {
        text.append(byte)
        escaped = false
      } else if byte == UInt8(ascii: "\\") {
        escaped = true
      } else {
        text.append(byte)
      }
    }
    return String(decoding: text, as: UTF8.self)
  }
}
