import Proxy

/// What an admin API request asks for (docs/admin.md, docs/admin-api.yaml),
/// decided from its method and target alone; pure, so every path is tested
/// without a socket.
enum AdminRoute: Equatable {
  case calls(ActiveCallFilter, offset: Int, limit: Int)
  case call(String)
  case hangup(String)
  case trunks
  case drainTrunk(String)
  case enableTrunk(String)
  case limits
  case accounts(offset: Int, limit: Int)
  case registrations(user: String)
  case reload
  case drain
  case version
  case events(CallEventFilter)

  /// Why a request has no route: the status and message of its JSON error.
  struct Failure: Error, Equatable {
    var status: Int
    var message: String
    /// For 405: the methods the path takes.
    var allow: String?
  }

  /// The default and largest page of `GET /v1/calls` and `/v1/accounts`.
  static let defaultLimit = 100

  /// Whether the route changes the switch (logged with who asked).
  var isChange: Bool {
    switch self {
    case .hangup, .drainTrunk, .enableTrunk, .reload, .drain: true
    default: false
    }
  }

  init(method: String, target: String) throws(Failure) {
    let (path, query) = Self.split(target)
    let parts = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map {
      Self.percentDecoded(String($0))
    }
    guard parts.count >= 2, parts[0] == "v1", !parts.contains(where: \.isEmpty) else {
      throw Failure(status: 404, message: "no such path: \(path) (see docs/admin-api.yaml)")
    }
    let get = method == "GET" || method == "HEAD"
    let post = method == "POST"
    func need(_ ok: Bool, _ allow: String) throws(Failure) {
      guard ok else { throw Failure(status: 405, message: "\(method) not allowed on \(path)", allow: allow) }
    }
    switch Array(parts.dropFirst()) {
    case ["calls"]:
      try need(get, "GET")
      let filter = ActiveCallFilter(
        carrier: query["carrier"], interconnect: query["interconnect"], user: query["user"],
        number: query["number"])
      let (offset, limit) = try Self.page(query)
      self = .calls(filter, offset: offset, limit: limit)
    case let p where p.count == 2 && p[0] == "calls":
      try need(get, "GET")
      self = .call(p[1])
    case let p where p.count == 3 && p[0] == "calls" && p[2] == "hangup":
      try need(post, "POST")
      self = .hangup(p[1])
    case ["trunks"]:
      try need(get, "GET")
      self = .trunks
    case let p where p.count == 3 && p[0] == "trunks" && (p[2] == "drain" || p[2] == "enable"):
      try need(post, "POST")
      self = p[2] == "drain" ? .drainTrunk(p[1]) : .enableTrunk(p[1])
    case ["limits"]:
      try need(get, "GET")
      self = .limits
    case ["accounts"]:
      try need(get, "GET")
      let (offset, limit) = try Self.page(query)
      self = .accounts(offset: offset, limit: limit)
    case ["registrations"]:
      try need(get, "GET")
      guard let user = query["user"], !user.isEmpty else {
        throw Failure(status: 400, message: "user is required: /v1/registrations?user=NAME")
      }
      self = .registrations(user: user)
    case ["reload"]:
      try need(post, "POST")
      self = .reload
    case ["drain"]:
      try need(post, "POST")
      self = .drain
    case ["version"]:
      try need(get, "GET")
      self = .version
    case ["events"]:
      try need(method == "GET", "GET")
      self = .events(try Self.eventFilter(query))
    default:
      throw Failure(status: 404, message: "no such path: \(path) (see docs/admin-api.yaml)")
    }
  }

  /// `GET /v1/events?carrier=&interconnect=&user=&state=a,b`.
  private static func eventFilter(_ query: [String: String]) throws(Failure) -> CallEventFilter {
    var states: Set<CallEvent.State>?
    if let text = query["state"] {
      var parsed = Set<CallEvent.State>()
      for name in text.split(separator: ",") {
        guard let state = CallEvent.State(rawValue: String(name)) else {
          throw Failure(status: 400, message: "unknown state \(name): initiating, ringing, answered or ended")
        }
        parsed.insert(state)
      }
      states = parsed
    }
    return CallEventFilter(
      carrier: query["carrier"], interconnect: query["interconnect"], user: query["user"], states: states)
  }

  /// `offset` and `limit` (1...defaultLimit... up to `ProxyCore.maxCallPage`).
  private static func page(_ query: [String: String]) throws(Failure) -> (Int, Int) {
    var offset = 0
    var limit = defaultLimit
    if let text = query["offset"] {
      guard let value = Int(text), value >= 0 else {
        throw Failure(status: 400, message: "offset must be a whole number >= 0")
      }
      offset = value
    }
    if let text = query["limit"] {
      guard let value = Int(text), (1...ProxyCore.maxCallPage).contains(value) else {
        throw Failure(status: 400, message: "limit must be 1...\(ProxyCore.maxCallPage)")
      }
      limit = value
    }
    return (offset, limit)
  }

  /// The path (its segments are percent-decoded by `init`) and the query's
  /// parameters, percent-decoded; the last of a repeated name wins.
  static func split(_ target: String) -> (path: String, query: [String: String]) {
    guard let mark = target.firstIndex(of: "?") else { return (target, [:]) }
    var query: [String: String] = [:]
    for pair in target[target.index(after: mark)...].split(separator: "&") {
      let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
      let value = parts.count > 1 ? percentDecoded(String(parts[1]).replacing("+", with: " ")) : ""
      query[percentDecoded(String(parts[0]))] = value
    }
    return (String(target[..<mark]), query)
  }

  static func percentDecoded(_ text: String) -> String {
    guard text.contains("%") else { return text }
    var bytes: [UInt8] = []
    var utf8 = Array(text.utf8)[...]
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
