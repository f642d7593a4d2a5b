/// URI equality of RFC 3261 §19.1.4, on URIs as written: what a digest's
/// `uri` must be to the Request-URI (RFC 3261 §22.4, RFC 7616 §3.4.6).
///
/// For SIP and SIPS URIs: the schemes match; the user and password match
/// case-sensitively, the host case-insensitively, once `%HH` escapes are
/// decoded; the ports match (an absent port differs from 5060); `user`,
/// `ttl`, `method`, `maddr` and `transport` match when either URI has one;
/// other parameters match when both have them (case-insensitively); the
/// headers match as a set. Other schemes are compared as whole strings,
/// the scheme case-insensitively.
enum SIPURIComparison {
  static func equivalent(_ a: String, _ b: String) -> Bool {
    guard let x = Parts(a), let y = Parts(b) else {
      return a.lowercasedScheme == b.lowercasedScheme
    }
    guard x.scheme == y.scheme, x.userinfo == y.userinfo, x.host == y.host, x.port == y.port,
      x.headers == y.headers
    else { return false }
    for (name, value) in x.parameters {
      if let other = y.parameters[name] {
        guard other == value else { return false }
      } else if Self.mustMatch.contains(name) {
        return false
      }
    }
    return y.parameters.keys.allSatisfy { x.parameters[$0] != nil || !Self.mustMatch.contains($0) }
  }

  /// Parameters that make two URIs differ when only one has them.
  static let mustMatch: Set<String> = ["user", "ttl", "method", "maddr", "transport"]

  /// A SIP or SIPS URI cut into the parts §19.1.4 compares.
  struct Parts {
    var scheme: String
    var userinfo: String?
    var host: String
    var port: String?
    var parameters: [String: String] = [:]
    var headers: Set<String> = []

    init?(_ text: String) {
      guard let colon = text.firstIndex(of: ":") else { return nil }
      scheme = text[..<colon].lowercased()
      guard scheme == "sip" || scheme == "sips" else { return nil }
      var rest = text[text.index(after: colon)...]
      if let question = rest.firstIndex(of: "?") {
        let list = rest[rest.index(after: question)...].split(separator: "&")
        headers = Set(list.map { Self.unescaped($0).lowercased() })
        rest = rest[..<question]
      }
      let pieces = rest.split(separator: ";", omittingEmptySubsequences: false)
      var hostPort = pieces[0]
      for parameter in pieces.dropFirst() {
        let pair = parameter.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        let name = Self.unescaped(pair[0]).lowercased()
        guard !name.isEmpty, parameters[name] == nil else { return nil }
        parameters[name] = pair.count == 2 ? Self.unescaped(pair[1]).lowercased() : ""
      }
      if let at = hostPort.lastIndex(of: "@") {
        userinfo = Self.unescaped(hostPort[..<at])
        hostPort = hostPort[hostPort.index(after: at)...]
      }
      if hostPort.hasPrefix("["), let close = hostPort.firstIndex(of: "]") {
        host = hostPort[...close].lowercased()
        let after = hostPort[hostPort.index(after: close)...]
        port = after.hasPrefix(":") ? String(after.dropFirst()) : nil
        guard after.isEmpty || port != nil else { return nil }
      } else {
        let split = hostPort.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        host = Self.unescaped(split[0]).lowercased()
        port = split.count == 2 ? String(split[1]) : nil
      }
      guard !host.isEmpty else { return nil }
    }

    /// `%HH` decoded (RFC 3261 §19.1.4: an escape equals the character).
    static func unescaped(_ text: Substring) -> String {
      var bytes: [UInt8] = []
      var utf8 = text.utf8[...]
      while let byte = utf8.popFirst() {
        if byte == UInt8(ascii: "%"), utf8.count >= 2,
          let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16)
        {
          bytes.append(value)
          utf8 = utf8.dropFirst(2)
        } else {
          bytes.append(byte)
        }
      }
      return String(decoding: bytes, as: UTF8.self)
    }
  }
}

extension String {
  /// The string with its scheme (before the first `:`) lower-cased.
  fileprivate var lowercasedScheme: String {
    guard let colon = firstIndex(of: ":") else { return self }
    return self[..<colon].lowercased() + self[colon...]
  }
}
