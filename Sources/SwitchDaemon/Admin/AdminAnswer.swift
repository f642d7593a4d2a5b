import JSON

/// One admin API answer: an HTTP status and a JSON body.
struct AdminAnswer: Equatable, Sendable {
  var status: Int
  var body: JSONValue
  /// For 405: the methods the path takes.
  var allow: String?

  static func ok(_ body: JSONValue) -> AdminAnswer { AdminAnswer(status: 200, body: body) }

  static func error(_ status: Int, _ message: String, allow: String? = nil) -> AdminAnswer {
    AdminAnswer(status: status, body: AdminJSON.error(status, message), allow: allow)
  }
}
