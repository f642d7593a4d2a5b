/// A URI user part without its user parameters: `+15551234;tgrp=TG1;trunk-context=example.com`
/// gives `+15551234` (RFC 4904 §5, RFC 3966 parameters carried in a SIP user part).
public func numberWithoutUserParameters(_ user: String) -> String {
  guard let semicolon = user.utf8.firstIndex(of: 0x3B) else { return user }
  return String(user[..<semicolon])
}

/// The `;name=value` parameters of a URI user part, in order; a parameter
/// without `=` has a nil value. Names are lower-cased, values kept as written.
public func userParameters(_ user: String) -> [(name: String, value: String?)] {
  var parameters: [(name: String, value: String?)] = []
  for item in user.split(separator: ";", omittingEmptySubsequences: true).dropFirst() {
    if let equals = item.firstIndex(of: "=") {
      parameters.append((String(item[..<equals]).lowercased(), String(item[item.index(after: equals)...])))
    } else {
      parameters.append((String(item).lowercased(), nil))
    }
  }
  return parameters
}
