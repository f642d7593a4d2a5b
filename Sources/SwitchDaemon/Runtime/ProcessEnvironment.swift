import Glibc

/// The process environment, read in one place so that everything that
/// interprets it (configuration loading, systemd notify) stays pure.
public enum ProcessEnvironment {
  public static var current: [String: String] {
    var environment: [String: String] = [:]
    var cursor = environ
    while let entry = cursor.pointee {
      let text = String(cString: entry)
      if let equals = text.firstIndex(of: "=") {
        environment[String(text[..<equals])] = String(text[text.index(after: equals)...])
      }
      cursor += 1
    }
    return environment
  }
}
