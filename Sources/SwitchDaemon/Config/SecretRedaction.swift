/// Hides passwords in configuration values that are printed (check-config),
/// so that the effective configuration can be shown or pasted safely.
enum SecretRedaction {
  static let mask = "***"

  /// `database.url` with any password replaced by `***`: the password of a
  /// URI's user info, a `password=` URI parameter, or a conninfo `password`.
  static func databaseURL(_ url: String) -> String {
    if let scheme = url.firstRange(of: "://") {
      var result = String(url[..<scheme.upperBound])
      let rest = url[scheme.upperBound...]
      let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
      let authority = rest[..<authorityEnd]
      if let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") {
        result += authority[...colon] + mask + authority[at...]
      } else {
        result += authority
      }
      let tail = rest[authorityEnd...]
      guard let question = tail.firstIndex(of: "?") else { return result + tail }
      result += tail[...question]
      let parameters = tail[tail.index(after: question)...].split(
        separator: "&", omittingEmptySubsequences: false)
      result += parameters.map { parameter in
        parameter.hasPrefix("password=") ? "password=" + mask : String(parameter)
      }.joined(separator: "&")
      return result
    }
    return conninfo(url)
  }

  /// `key = value` pairs; values may be single-quoted with `\` escapes.
  private static func conninfo(_ text: String) -> String {
    let characters = Array(text)
    var result = ""
    var index = 0
    while index < characters.count {
      // Copy blanks, then read a key.
      while index < characters.count, characters[index].isWhitespace {
        result.append(characters[index])
        index += 1
      }
      var key = ""
      while index < characters.count, characters[index] != "=", !characters[index].isWhitespace {
        key.append(characters[index])
        index += 1
      }
      result += key
      while index < characters.count, characters[index].isWhitespace {
        result.append(characters[index])
        index += 1
      }
      guard index < characters.count, characters[index] == "=" else { continue }
      result.append("=")
      index += 1
      while index < characters.count, characters[index].isWhitespace {
        result.append(characters[index])
        index += 1
      }
      var value = ""
      if index < characters.count, characters[index] == "'" {
        value.append("'")
        index += 1
        while index < characters.count, characters[index] != "'" {
          if characters[index] == "\\", index + 1 < characters.count {
            value.append(characters[index])
            index += 1
          }
          value.append(characters[index])
          index += 1
        }
        if index < characters.count {
          value.append("'")
          index += 1
        }
      } else {
        while index < characters.count, !characters[index].isWhitespace {
          value.append(characters[index])
          index += 1
        }
      }
      result += key == "password" ? mask : value
    }
    return result
  }
}
