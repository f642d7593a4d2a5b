/// The `Authorization` header of a request (RFC 3261 §22.4, RFC 7616 §3.4):
/// `Digest username="…", realm="…", nonce="…", uri="…", response="…", …`.
/// Parameter names are case-insensitive; values are quoted strings (with
/// `\` escapes) or tokens.
public struct DigestCredentials: Sendable, Equatable {
  public var username: String
  public var realm: String
  public var nonce: String
  public var uri: String
  public var response: String
  /// nil: absent (MD5, RFC 2617 §3.2.2).
  public var algorithm: String?
  public var cnonce: String?
  public var qop: String?
  public var nc: String?
  public var opaque: String?

  public init(
    username: String, realm: String, nonce: String, uri: String, response: String, algorithm: String? = nil,
    cnonce: String? = nil, qop: String? = nil, nc: String? = nil, opaque: String? = nil
  ) {
    self.username = username
    self.realm = realm
    self.nonce = nonce
    self.uri = uri
    self.response = response
    self.algorithm = algorithm
    self.cnonce = cnonce
    self.qop = qop
    self.nc = nc
    self.opaque = opaque
  }

  /// Reads one header value; nil when it is not Digest or lacks one of
  /// username, realm, nonce, uri and response.
  public init?(header: String) {
    var rest = Substring(header).drop { $0.isWhitespace }
    guard rest.prefix(6).lowercased() == "digest", let space = rest.dropFirst(6).first, space.isWhitespace
    else { return nil }
    rest = rest.dropFirst(7)
    guard let parameters = Self.parameters(rest) else { return nil }
    guard let username = parameters["username"], let realm = parameters["realm"],
      let nonce = parameters["nonce"], let uri = parameters["uri"], let response = parameters["response"]
    else { return nil }
    self.init(
      username: username, realm: realm, nonce: nonce, uri: uri, response: response,
      algorithm: parameters["algorithm"], cnonce: parameters["cnonce"], qop: parameters["qop"],
      nc: parameters["nc"], opaque: parameters["opaque"])
  }

  /// `name=value` pairs separated by commas; nil on a syntax error or a
  /// parameter given twice.
  static func parameters(_ text: Substring) -> [String: String]? {
    var result: [String: String] = [:]
    var index = text.startIndex
    func skipSpace() {
      // Character.isWhitespace: "\r\n" of a folded line is one Character.
      while index < text.endIndex, text[index].isWhitespace { index = text.index(after: index) }
    }
    while true {
      skipSpace()
      if index == text.endIndex { break }
      let nameStart = index
      while index < text.endIndex, text[index] != "=", text[index] != ",", !text[index].isWhitespace {
        index = text.index(after: index)
      }
      let name = text[nameStart..<index].lowercased()
      skipSpace()
      guard !name.isEmpty, index < text.endIndex, text[index] == "=" else { return nil }
      index = text.index(after: index)
      skipSpace()
      var value = ""
      if index < text.endIndex, text[index] == "\"" {
        index = text.index(after: index)
        var closed = false
        while index < text.endIndex {
          let character = text[index]
          index = text.index(after: index)
          if character == "\\" {
            guard index < text.endIndex else { return nil }
            value.append(text[index])
            index = text.index(after: index)
          } else if character == "\"" {
            closed = true
            break
          } else {
            value.append(character)
          }
        }
        guard closed else { return nil }
      } else {
        let start = index
        while index < text.endIndex, text[index] != ",", !text[index].isWhitespace {
          index = text.index(after: index)
        }
        value = String(text[start..<index])
        guard !value.isEmpty else { return nil }
      }
      guard result.updateValue(value, forKey: name) == nil else { return nil }
      skipSpace()
      if index == text.endIndex { break }
      guard text[index] == "," else { return nil }
      index = text.index(after: index)
    }
    return result
  }
}
