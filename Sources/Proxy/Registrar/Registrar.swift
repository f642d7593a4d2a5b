import Digest
import SIPCore

/// What the registrar serves and how long bindings last (`[registrar]` in the
/// configuration; docs/registrar.md).
public struct RegistrarConfiguration: Sendable, Equatable {
  /// The domains whose addresses of record this switch keeps (lower-case);
  /// empty: no registrar (REGISTER is answered 405 or 404 as before).
  public var domains: Set<String>
  /// A contact without an `expires` parameter or Expires header lasts this long.
  public var defaultExpiresSeconds: Int
  /// A shorter non-zero expiry is refused with 423 and `Min-Expires`.
  public var minExpiresSeconds: Int
  /// A longer expiry is cut to this.
  public var maxExpiresSeconds: Int
  /// Bindings an address of record may hold at once (403 beyond).
  public var maxContacts: Int
  /// Whether a REGISTER must prove its user (docs/registrar.md).
  public var authentication: Authentication
  /// How failed authentications are throttled (docs/registrar.md "Brute force").
  public var throttle: AuthenticationThrottle.Configuration
  /// User-Agent prefixes (case-insensitive) challenged with MD5 alone:
  /// clients that give up on a challenge set holding an algorithm they do
  /// not know instead of answering the one they do (baresip 1.0's libre;
  /// RFC 8760 §2.4). Their answers are checked as anyone's.
  public var md5OnlyUserAgents: [String] = []

  public enum Authentication: Sendable, Equatable {
    /// Any REGISTER for a domain is accepted (a trusted network).
    case none
    /// RFC 3261 §22 digest: challenged with one `WWW-Authenticate` per
    /// algorithm (in this order), nonces fresh for `nonceLifetimeSeconds`.
    case digest(algorithms: [DigestHash], nonceLifetimeSeconds: Int)
  }

  public init(
    domains: Set<String> = [], defaultExpiresSeconds: Int = 3600, minExpiresSeconds: Int = 60,
    maxExpiresSeconds: Int = 86_400, maxContacts: Int = 10, authentication: Authentication = .none,
    throttle: AuthenticationThrottle.Configuration = .init()
  ) {
    self.authentication = authentication
    self.throttle = throttle
    self.domains = Set(domains.map { $0.lowercased() })
    self.defaultExpiresSeconds = defaultExpiresSeconds
    self.minExpiresSeconds = minExpiresSeconds
    self.maxExpiresSeconds = maxExpiresSeconds
    self.maxContacts = maxContacts
  }
}

/// A registrar and its location service (RFC 3261 §10.3), in memory: the
/// bindings of each address of record to the contacts that registered it,
/// with their expiry, and the address each REGISTER came from (a phone
/// behind NAT is reached there). Pure: time is a parameter; it lives on the
/// proxy core's thread.
///
/// Contacts and the To header are read as written on the wire (escapes
/// kept: `sip:%00@host` and `sip:%00%00@host` are two bindings, RFC 4475
/// §3.1.1.13), and a contact's URI is stored as written inside its `<...>`
/// (URI parameters and escaped headers kept, RFC 4475 §3.3.11-12); header
/// parameters such as `expires` and `q` are not part of it.
public final class Registrar {
  /// One contact bound to an address of record.
  public struct Binding: Sendable, Equatable {
    /// The contact URI as registered.
    public var contact: String
    /// When it expires, on the proxy's monotonic clock.
    public var expiresAtMs: Int64
    /// The `q` value in thousandths (nil: none given).
    public var qThousandths: Int?
    public var callID: String
    public var cseq: UInt32
    /// Where the REGISTER came from.
    public var source: Endpoint
  }

  /// A REGISTER as the registrar reads it.
  public struct Request: Sendable, Equatable {
    /// The Request-URI as written (a digest's `uri` must be the same, RFC 7616 §3.4.6).
    public var requestURI: String
    /// The To header's value as written.
    public var to: String?
    /// The Contact header values, as written; empty: a query (no Contact).
    public var contacts: [String]
    /// The Expires header, if any.
    public var expires: Int?
    public var callID: String
    public var cseq: UInt32
    public var source: Endpoint
    /// The Authorization header values, as written.
    public var authorizations: [String]
    /// The User-Agent header, if any (`RegistrarConfiguration.md5OnlyUserAgents`).
    public var userAgent: String?

    public init(
      requestURI: String, to: String?, contacts: [String], expires: Int?, callID: String, cseq: UInt32,
      source: Endpoint, authorizations: [String] = [], userAgent: String? = nil
    ) {
      self.requestURI = requestURI
      self.userAgent = userAgent
      self.authorizations = authorizations
      self.to = to
      self.contacts = contacts
      self.expires = expires
      self.callID = callID
      self.cseq = cseq
      self.source = source
    }
  }

  public enum Outcome: Sendable, Equatable {
    /// 200: the address of record's bindings after the change.
    case registered(addressOfRecord: String, bindings: [Binding])
    case refused(Refusal)
    /// No answer at all: the source or the user is blocked after failed
    /// authentications (`AuthenticationThrottle`).
    case dropped(AuthenticationThrottle.Scope)
  }

  public let configuration: RegistrarConfiguration
  var bindings: [String: [Binding]] = [:]
  /// Where accepted changes are kept beyond this process (nil: memory only;
  /// `Registrar+Storage.swift`).
  public var store: (any BindingStore)?
  /// The last accepted REGISTER's change, until `sendChange` passes it on.
  var pendingChange: (aor: String, saved: [Binding], removed: [String])?
  let verifier: DigestVerifier?
  /// Failed authentications per source and per user (docs/registrar.md "Brute force").
  public let throttle: AuthenticationThrottle
  /// SIP usernames and their passwords (softswitch mode: the active
  /// `device_registrations` of active users), checked by digest
  /// authentication; replaced on every snapshot reload.
  public var credentials: [String: String] = [:]
  /// The highest `nc` each nonce was answered with, until the nonce goes
  /// stale: a captured Authorization header cannot be sent again (its
  /// digest does not cover the Contact, so a replay could move a binding).
  var nonceCounts: [String: (nc: UInt32, untilMs: Int64)] = [:]
  var purgeNonceCountsAt = 1024

  /// `nonceSecret`: the nonces' HMAC key (tests); nil for a random one.
  /// `throttle`: one shared with other digest checks; nil for one of
  /// `configuration.throttle`.
  public init(
    configuration: RegistrarConfiguration, nonceSecret: [UInt8]? = nil,
    throttle: AuthenticationThrottle? = nil
  ) {
    self.configuration = configuration
    self.throttle = throttle ?? AuthenticationThrottle(configuration: configuration.throttle)
    switch configuration.authentication {
    case .none:
      verifier = nil
    case .digest(let algorithms, let lifetime):
      let nonces =
        nonceSecret.map { NonceAuthority(lifetimeMs: Int64(lifetime) * 1000, secret: $0) }
        ?? NonceAuthority(lifetimeMs: Int64(lifetime) * 1000)
      verifier = DigestVerifier(algorithms: algorithms, nonces: nonces)
    }
  }

  /// The one algorithm to challenge a client with, or nil for every
  /// configured one: MD5 for a User-Agent in `md5OnlyUserAgents`.
  public func challengeAlgorithm(userAgent: String?) -> DigestHash? {
    guard let userAgent, !configuration.md5OnlyUserAgents.isEmpty else { return nil }
    let agent = userAgent.lowercased()
    return configuration.md5OnlyUserAgents.contains { agent.hasPrefix($0.lowercased()) } ? .md5 : nil
  }

  /// The number of bindings held (expired ones included until they are purged).
  public var bindingCount: Int { bindings.values.reduce(0) { $0 + $1.count } }

  /// Whether REGISTER and calls for `host` are this registrar's.
  public func serves(host: String?) -> Bool {
    guard let host, !configuration.domains.isEmpty else { return false }
    return configuration.domains.contains(host.lowercased())
  }

  /// RFC 3261 §10.3 steps 3 and 5-8 (docs/registrar.md). All or nothing: a
  /// refused request changes no binding.
  public func register(_ request: Request, nowMs: Int64) -> Outcome {
    func refuse(_ status: Int, _ reason: String, _ headers: [HeaderField] = []) -> Outcome {
      .refused(Refusal(status: status, reason: reason, headers: headers))
    }
    // Step 5: the address of record is the To URI, which must be SIP or SIPS.
    guard let to = request.to.flatMap({ NameAddrValue.list($0)?.first }), !to.isWildcard,
      let aor = Self.addressOfRecord(to.uri)
    else { return refuse(400, "Invalid Address Of Record") }
    guard serves(host: Self.host(ofAddressOfRecord: aor)) else { return refuse(404, "Not Found") }
    // Steps 3 and 6: the user proves who they are, and may change this address of record.
    if let unproven = credentialsOutcome(request, addressOfRecord: aor, nowMs: nowMs) { return unproven }
    purge(aor, nowMs: nowMs)
    var current = bindings[aor] ?? []
    guard !request.contacts.isEmpty else {
      return .registered(addressOfRecord: aor, bindings: current)
    }
    var contacts: [NameAddrValue] = []
    for text in request.contacts {
      guard let values = NameAddrValue.list(text) else { return refuse(400, "Invalid Contact") }
      contacts += values
    }
    // Step 6: "*" only alone and with Expires: 0.
    if contacts.contains(where: \.isWildcard) {
      guard contacts.count == 1, request.expires == 0 else { return refuse(400, "Invalid Wildcard Contact") }
      if current.contains(where: { $0.callID == request.callID && request.cseq <= $0.cseq }) {
        return refuse(400, "CSeq Out Of Order")
      }
      bindings[aor] = nil
      pendingChange = (aor, [], current.map(\.contact))
      return .registered(addressOfRecord: aor, bindings: [])
    }
    // Step 7: each contact's expiry; one too brief refuses the request.
    let changes: [ContactChange]
    do {
      changes = try contactChanges(contacts, request)
    } catch {
      return .refused(error)
    }
    for change in changes {
      if let existing = current.first(where: { $0.contact == change.contact }),
        existing.callID == request.callID, request.cseq <= existing.cseq
      {
        return refuse(400, "CSeq Out Of Order")
      }
    }
    for change in changes {
      current.removeAll { $0.contact == change.contact }
      guard change.seconds > 0 else { continue }
      current.append(
        Binding(
          contact: change.contact, expiresAtMs: nowMs + Int64(change.seconds) * 1000, qThousandths: change.q,
          callID: request.callID, cseq: request.cseq, source: request.source))
    }
    guard current.count <= configuration.maxContacts else { return refuse(403, "Too Many Contacts") }
    bindings[aor] = current.isEmpty ? nil : current
    pendingChange = (
      aor, current.filter { $0.callID == request.callID && $0.cseq == request.cseq },
      changes.filter { $0.seconds == 0 }.map(\.contact)
    )
    return .registered(addressOfRecord: aor, bindings: current)
  }

  /// One contact of a REGISTER as it changes the bindings: its URI, its
  /// expiry in seconds (0: removed), its `q` in thousandths.
  struct ContactChange {
    var contact: String
    var seconds: Int
    var q: Int?
  }

  /// RFC 3261 §10.3 step 7: each contact's expiry (its `expires`
  /// parameter, else the Expires header, else the default; capped at the
  /// maximum) and `q`; one that is too brief or malformed refuses the request.
  func contactChanges(_ contacts: [NameAddrValue], _ request: Request) throws(Refusal) -> [ContactChange] {
    var changes: [ContactChange] = []
    for contact in contacts {
      var seconds = configuration.defaultExpiresSeconds
      if let value = contact.parameter("expires") {
        guard let text = value, let number = Int(text), number >= 0 else {
          throw Refusal(status: 400, reason: "Invalid Expires")
        }
        seconds = number
      } else if let header = request.expires {
        seconds = header
      }
      if seconds > 0 && seconds < configuration.minExpiresSeconds {
        throw Refusal(
          status: 423, reason: "Interval Too Brief",
          headers: [HeaderField("Min-Expires", String(configuration.minExpiresSeconds))])
      }
      var q: Int?
      if let value = contact.parameter("q") {
        guard let text = value, let parsed = Self.thousandths(text) else {
          throw Refusal(status: 400, reason: "Invalid q")
        }
        q = parsed
      }
      changes.append(
        ContactChange(contact: contact.uri, seconds: min(seconds, configuration.maxExpiresSeconds), q: q))
    }
    return changes
  }

  /// The live bindings of the address of record `uri` names, highest `q` first.
  public func lookup(_ uri: String, nowMs: Int64) -> [Binding] {
    guard let aor = Self.addressOfRecord(uri) else { return [] }
    purge(aor, nowMs: nowMs)
    return (bindings[aor] ?? []).enumerated().sorted { a, b in
      let qa = a.element.qThousandths ?? 1000
      let qb = b.element.qThousandths ?? 1000
      return qa != qb ? qa > qb : a.offset < b.offset
    }.map(\.element)
  }

  /// Drops the expired bindings of `aor`.
  public func purge(_ aor: String, nowMs: Int64) {
    guard var list = bindings[aor] else { return }
    list.removeAll { $0.expiresAtMs <= nowMs }
    bindings[aor] = list.isEmpty ? nil : list
  }

  /// The Contact values of a 200 (RFC 3261 §10.3 step 8): each binding with
  /// the seconds it has left.
  public static func contactValues(_ bindings: [Binding], nowMs: Int64) -> [String] {
    bindings.map { binding in
      let left = max(0, (binding.expiresAtMs - nowMs + 999) / 1000)
      var value = "<\(binding.contact)>;expires=\(left)"
      if let q = binding.qThousandths { value += ";q=" + Self.qText(q) }
      return value
    }
  }

  // MARK: Addresses of record

  /// `sip:user@host` of a SIP or SIPS URI as written (RFC 3261 §10.3 step 5):
  /// the scheme and host lower-cased, the user kept with its escapes, the
  /// password, port, parameters and headers dropped. Nil for other schemes.
  public static func addressOfRecord(_ uri: String) -> String? {
    guard let colon = uri.firstIndex(of: ":") else { return nil }
    let scheme = uri[..<colon].lowercased()
    guard scheme == "sip" || scheme == "sips" else { return nil }
    let rest = uri[uri.index(after: colon)...].prefix { $0 != ";" && $0 != "?" }
    var user = Substring("")
    var hostPort = rest
    if let at = rest.lastIndex(of: "@") {
      user = rest[..<at].prefix { $0 != ":" }
      hostPort = rest[rest.index(after: at)...]
    }
    let host: Substring
    if hostPort.hasPrefix("[") {
      guard let close = hostPort.firstIndex(of: "]") else { return nil }
      host = hostPort[...close]
    } else {
      host = hostPort.prefix { $0 != ":" }
    }
    guard !host.isEmpty else { return nil }
    return scheme + ":" + (user.isEmpty ? "" : user + "@") + host.lowercased()
  }

  /// `sip:user@host` -> `user` (as written; "" without one).
  static func user(ofAddressOfRecord aor: String) -> String {
    guard let colon = aor.firstIndex(of: ":"), let at = aor.lastIndex(of: "@") else { return "" }
    return String(aor[aor.index(after: colon)..<at])
  }

  static func host(ofAddressOfRecord aor: String) -> String {
    let afterScheme = aor[aor.index(after: aor.firstIndex(of: ":")!)...]
    return String(afterScheme.split(separator: "@").last ?? afterScheme)
  }

  /// `0.5` → 500 (RFC 3261 §20.10: 0 to 1, at most three decimals).
  static func thousandths(_ text: String) -> Int? {
    let parts = text.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count <= 2, let whole = Int(parts[0]), whole == 0 || whole == 1 else { return nil }
    var fraction = 0
    if parts.count == 2 {
      let digits = parts[1]
      guard digits.count <= 3, digits.allSatisfy(\.isASCIIDigit) else { return nil }
      var padded = String(digits)
      while padded.count < 3 { padded += "0" }
      fraction = Int(padded) ?? 0
    }
    let value = whole * 1000 + fraction
    return value <= 1000 ? value : nil
  }

  static func qText(_ thousandths: Int) -> String {
    if thousandths >= 1000 { return "1" }
    var digits = String(thousandths)
    while digits.count < 3 { digits = "0" + digits }
    while digits.hasSuffix("0") { digits.removeLast() }
    return "0." + (digits.isEmpty ? "0" : digits)
  }
}

extension Character {
  fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
