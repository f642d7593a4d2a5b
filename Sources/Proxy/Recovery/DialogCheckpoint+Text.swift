import Billing
import Policy
import Routing
import SIPCore

/// The text form of a checkpoint: one line, `dc1` then tab-separated
/// `key=value` fields (a missing key is a nil value). Values escape `%`,
/// tab, CR, LF and `,` as `%XX`; lists (route sets, quotes) are
/// comma-separated escaped items. Unknown keys are ignored, so a later
/// version may add fields.
extension DialogCheckpoint {
  static let textVersion = "dc1"

  /// The checkpoint as one line of text (no line break).
  public var text: String {
    var fields = CheckpointWriter()
    let s = summary
    fields["id"] = s.recordID
    fields["cid"] = s.callID
    fields["ft"] = s.fromTag
    fields["tt"] = s.toTag
    fields["fu"] = s.fromUser
    fields["tu"] = s.toUser
    fields["ofu"] = s.originalFromUser
    fields["otu"] = s.originalToUser
    fields["in"] = s.ingress.map(Self.leg)
    fields["eg"] = s.egress.map(Self.leg)
    fields["src"] = s.source.description
    fields["dst"] = s.destination?.description
    fields["st"] = String(s.startedUnixMs)
    fields["rg"] = s.ringingUnixMs.map { String($0) }
    fields["an"] = s.answeredUnixMs.map { String($0) }
    fields["fs"] = String(s.finalStatus)
    fields["at"] = String(s.attempts)
    fields["cq"] = s.rating.customer.map(Self.quote)
    fields["sq"] = s.rating.supplier.map(Self.quote)
    fields["uid"] = s.userID
    fields["pn"] = s.phoneNumberID
    fields["er"] = caller.description
    fields["ee"] = callee.description
    if let control {
      fields["rc"] = Self.side(control.towardsCaller)
      fields["re"] = Self.side(control.towardsCallee)
    }
    fields["ccs"] = String(callerCSeq)
    fields["ecs"] = String(calleeCSeq)
    fields["md"] = maxDurationMs.map { String($0) }
    fields["si"] = sessionInterval.map { String($0) }
    for (index, party) in creditParties.enumerated() {
      fields["p\(index)"] = CheckpointFields.list([party.account.description] + Self.quoteItems(party.quote))
    }
    writeInbound(&fields)
    return Self.textVersion + fields.text
  }

  /// Reads `text`; nil when it is not a checkpoint of a version this
  /// switch reads or a field it needs is missing or malformed.
  public init?(text: some StringProtocol) {
    guard let fields = CheckpointFields(parsing: text, version: Self.textVersion),
      let recordID = fields["id"], let callID = fields["cid"], let fromTag = fields["ft"],
      let source = fields["src"].flatMap({ Endpoint(parsing: $0) }),
      let started = fields["st"].flatMap({ Int64($0) }), let answered = fields["an"].flatMap({ Int64($0) }),
      let caller = fields["er"].flatMap({ Endpoint(parsing: $0) }),
      let callee = fields["ee"].flatMap({ Endpoint(parsing: $0) })
    else { return nil }
    var summary = CallSummary(
      recordID: recordID, callID: callID, fromTag: fromTag, toTag: fields["tt"], fromUser: fields["fu"],
      toUser: fields["tu"], originalFromUser: fields["ofu"], originalToUser: fields["otu"],
      ingress: nil, egress: nil, source: source, destination: nil, startedUnixMs: started,
      answeredUnixMs: answered, endedUnixMs: 0, finalStatus: fields["fs"].flatMap { Int($0) } ?? 200,
      outcome: .answered, attempts: fields["at"].flatMap { Int($0) } ?? 1, endedBy: nil)
    (summary.userID, summary.phoneNumberID) = (fields["uid"], fields["pn"])
    summary.ringingUnixMs = fields["rg"].flatMap { Int64($0) }
    if let text = fields["in"] {
      guard let leg = Self.leg(text) else { return nil }
      summary.ingress = leg
    }
    if let text = fields["eg"] {
      guard let leg = Self.leg(text) else { return nil }
      summary.egress = leg
    }
    if let text = fields["dst"] {
      guard let destination = Endpoint(parsing: text) else { return nil }
      summary.destination = destination
    }
    if let text = fields["cq"] {
      guard let quote = Self.quote(CheckpointFields.items(text)[...]) else { return nil }
      summary.rating.customer = quote
    }
    if let text = fields["sq"] {
      guard let quote = Self.quote(CheckpointFields.items(text)[...]) else { return nil }
      summary.rating.supplier = quote
    }
    var control: DialogControl?
    if let towardsCaller = fields["rc"], let towardsCallee = fields["re"] {
      guard let caller = Self.side(towardsCaller), let callee = Self.side(towardsCallee) else { return nil }
      control = DialogControl(towardsCaller: caller, towardsCallee: callee)
    }
    guard let parties = Self.parties(fields, key: "p") else { return nil }
    self.init(
      summary: summary, caller: caller, callee: callee, control: control,
      callerCSeq: fields["ccs"].flatMap { UInt32($0) } ?? 0,
      calleeCSeq: fields["ecs"].flatMap { UInt32($0) } ?? 0,
      maxDurationMs: fields["md"].flatMap { Int64($0) }, sessionInterval: fields["si"].flatMap { Int($0) },
      creditParties: parties)
    guard readInbound(fields) else { return nil }
  }

  // MARK: Values

  /// The credit parties in `<key>0`, `<key>1`, ...; nil when one is malformed.
  static func parties(_ fields: CheckpointFields, key: String) -> [CreditParty]? {
    var parties: [CreditParty] = []
    var index = 0
    while let text = fields["\(key)\(index)"] {
      let items = CheckpointFields.items(text)
      guard let account = items.first.flatMap(Self.account), let quote = Self.quote(items.dropFirst()) else {
        return nil
      }
      parties.append(CreditParty(account: account, quote: quote))
      index += 1
    }
    return parties
  }

  static func leg(_ leg: CarrierLeg) -> String {
    CheckpointFields.list([leg.carrierID, leg.interconnectID, leg.serviceID])
  }

  static func leg(_ text: String) -> CarrierLeg? {
    let items = CheckpointFields.items(text)
    guard items.count == 3 else { return nil }
    return CarrierLeg(carrierID: items[0], interconnectID: items[1], serviceID: items[2])
  }

  static func quote(_ quote: RateQuote) -> String { CheckpointFields.list(quoteItems(quote)) }

  static func quoteItems(_ quote: RateQuote) -> [String] {
    [
      quote.ratingPlanID, quote.prefix, quote.currency, String(quote.ratePerMinute.micros),
      String(quote.connectionFee.micros), String(quote.increments.initial),
      String(quote.increments.recurring),
      quote.timeClass ?? "", quote.exchangeRate.map { String($0) } ?? "",
    ]
  }

  static func quote(_ items: ArraySlice<String>) -> RateQuote? {
    let items = Array(items)
    guard items.count == 9, let rate = Int64(items[3]), let fee = Int64(items[4]),
      let initial = Int(items[5]), let recurring = Int(items[6]),
      let increments = BillingIncrements(initial: initial, recurring: recurring)
    else { return nil }
    var exchangeRate: Int64?
    if !items[8].isEmpty {
      guard let value = Int64(items[8]) else { return nil }
      exchangeRate = value
    }
    return RateQuote(
      ratingPlanID: items[0], prefix: items[1], currency: items[2], ratePerMinute: Money(micros: rate),
      connectionFee: Money(micros: fee), increments: increments, timeClass: items[7].isEmpty ? nil : items[7],
      exchangeRate: exchangeRate)
  }

  private static func side(_ side: DialogSide) -> String {
    CheckpointFields.list([side.requestURI, side.from, side.to] + side.routeSet)
  }

  private static func side(_ text: String) -> DialogSide? {
    let items = CheckpointFields.items(text)
    guard items.count >= 3 else { return nil }
    return DialogSide(requestURI: items[0], routeSet: Array(items[3...]), from: items[1], to: items[2])
  }

  static func account(_ text: String) -> AccountRef? {
    guard let colon = text.firstIndex(of: ":"), let kind = AccountRef.Kind(rawValue: String(text[..<colon]))
    else { return nil }
    return AccountRef(kind, String(text[text.index(after: colon)...]))
  }
}

/// Writes `key=value` fields, each after a tab, escaped: a nil value writes nothing.
struct CheckpointWriter {
  private(set) var text = ""

  init() { text.reserveCapacity(1024) }

  subscript(key: String) -> String? {
    get { nil }
    set {
      guard let newValue else { return }
      text += "\t"
      text += key
      text += "="
      text += CheckpointFields.escape(newValue)
    }
  }
}

/// The `key=value` fields of one line, read back (see `DialogCheckpoint.text`).
struct CheckpointFields {
  private var byKey: [String: String] = [:]

  subscript(key: String) -> String? { byKey[key] }

  init?(parsing text: some StringProtocol, version: String) {
    var parts = text.split(separator: "\t", omittingEmptySubsequences: false)[...]
    guard parts.first.map({ $0 == version }) == true else { return nil }
    parts = parts.dropFirst()
    for part in parts {
      guard let equals = part.firstIndex(of: "="),
        let value = Self.unescape(part[part.index(after: equals)...])
      else { return nil }
      byKey[String(part[..<equals])] = value
    }
  }

  /// Items joined by commas, each escaped (so the list is one value).
  static func list(_ items: [String]) -> String {
    items.map { escape($0, comma: true) }.joined(separator: ",")
  }

  static func items(_ text: String) -> [String] {
    text.split(separator: ",", omittingEmptySubsequences: false).map { unescape($0) ?? "" }
  }

  static func escape(_ value: String, comma: Bool = false) -> String {
    guard value.utf8.contains(where: { $0 == 37 || $0 == 9 || $0 == 10 || $0 == 13 || (comma && $0 == 44) })
    else { return value }
    var out = ""
    for scalar in value.unicodeScalars {
      switch scalar {
      case "%": out += "%25"
      case "\t": out += "%09"
      case "\n": out += "%0A"
      case "\r": out += "%0D"
      case "," where comma: out += "%2C"
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out
  }

  static func unescape(_ text: some StringProtocol) -> String? {
    guard text.contains("%") else { return String(text) }
    var bytes: [UInt8] = []
    var utf8 = Array(text.utf8)[...]
    while let byte = utf8.first {
      utf8 = utf8.dropFirst()
      guard byte == 37 else {
        bytes.append(byte)
        continue
      }
      guard utf8.count >= 2, let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16)
      else { return nil }
      bytes.append(value)
      utf8 = utf8.dropFirst(2)
    }
    return String(decoding: bytes, as: UTF8.self)
  }
}
