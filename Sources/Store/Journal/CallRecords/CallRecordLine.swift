import Billing
import Routing

/// The journal's text form of one `CallRecord`: one line, self-delimiting and
/// checksummed, so that a line torn by a crash (`kill -9`, power loss) is
/// recognised and skipped rather than misread.
///
///     <crc32>\t<payload>\n
///     payload = v6\t<field 1>\t...\t<field 43>
///
/// - `<crc32>` is eight lower-case hex digits: the CRC-32 (IEEE) of the payload bytes.
/// - Fields, in order: uuid, direction, from_number, to_number, original_from_number,
///   original_to_number, status, duration_seconds, call_sid, started_unix_ms,
///   answered_unix_ms, ended_unix_ms, ingress_carrier_id, ingress_interconnect_id,
///   ingress_service_id, egress_carrier_id, egress_interconnect_id, egress_service_id,
///   sip_status, routes_tried, source_address, destination_address, ended_by, then
///   the customer's charge (rating_plan_id, prefix, currency, rate_per_minute,
///   billable_seconds, amount), the supplier's charge (the same six), the
///   margin, the account charges, supplier_sip_status, duration_ms, user_id
///   and phone_number_id (the softphone caller, docs/softphones.md),
///   ringing_unix_ms (the first 18x to the caller), and parent_call_uuid
///   (a forwarded leg's inbound call, docs/dids.md). Money is decimal
///   text with six decimals; a side that was not rated is six `\N`.
/// - The account charges (`CallRecord.charges`) are one field: `\N` when there
///   are none, else the charges joined by `;`, each
///   `<kind>,<ownerID>,<column>,<amount>,<currency>,<d|c>`: the `AccountRef`
///   kind (`customer`, `supplier`, `wallet`), its owner id, the
///   `BalanceColumn` (`customer`, `supplier`, `bilateral`, `wallet`), the
///   amount (six decimals), the currency code, and `c` when the charge raises
///   the balance (`credits`), `d` for a debit. Owner ids and currency codes
///   never hold `,` or `;` (uuids, integers, ISO 4217 codes).
/// - Lines of version `v5` (42 fields: no parent_call_uuid, read as nil),
///   `v4` (38 fields: no duration_ms, user_id,
///   phone_number_id or ringing_unix_ms, read as nil), `v3` (37 fields: no supplier_sip_status), `v2` (36
///   fields: no account charges either) and `v1` (the first 23 fields,
///   written before rating existed) are still read, with no supplier status,
///   and for `v2` and `v1` no account charges and for `v1` no rating either:
///   a journal written before an upgrade is replayed after it.
/// - A field is UTF-8 text with `\` written `\\`, tab `\t`, line feed `\n`, carriage
///   return `\r` and NUL `\0`; a missing (nil) field is `\N`. Integers are decimal;
///   enums are their `call_status` / `call_direction` names.
///
/// A line is valid only if it ends in `\n`, its checksum matches and it has
/// exactly the fields of its version.
public enum CallRecordLine {
  /// The format version written first in every payload.
  public static let version = "v6"
  static let fieldCount = 43
  /// Earlier versions and their field counts, still read so an upgraded
  /// switch replays an old journal: v5 before parent_call_uuid, v4 before duration_ms, user_id,
  /// phone_number_id and ringing_unix_ms, v3 before supplier_sip_status, v2 before account
  /// charges, v1 before rating.
  static let previousVersions: [String: Int] = ["v5": 42, "v4": 38, "v3": 37, "v2": 36, "v1": 23]

  /// Why a line could not be read back.
  public enum DecodingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The line has no `<crc32>\t` prefix.
    case missingChecksum
    /// The payload's CRC-32 is not the one written before it (a torn or damaged line).
    case checksumMismatch
    /// The payload starts with a version this build does not know.
    case unknownVersion(String)
    /// The payload has `found` fields instead of `expected`.
    case wrongFieldCount(found: Int, expected: Int)
    /// A field's text does not fit its type.
    case invalidField(name: String)

    public var description: String {
      switch self {
      case .missingChecksum: "no checksum"
      case .checksumMismatch: "checksum mismatch (torn or damaged line)"
      case .unknownVersion(let version): "unknown format version \(version)"
      case .wrongFieldCount(let found, let expected): "\(found) fields, expected \(expected)"
      case .invalidField(let name): "invalid \(name)"
      }
    }
  }

  /// Appends the line for `record`, `\n` included, to `buffer`.
  public static func encode(_ record: CallRecord, into buffer: inout [UInt8]) {
    let start = ChecksummedLine.begin(&buffer)
    buffer.append(contentsOf: version.utf8)
    func field(_ text: String?) {
      buffer.append(tab)
      guard let text else {
        buffer.append(backslash)
        buffer.append(UInt8(ascii: "N"))
        return
      }
      for byte in text.utf8 {
        switch byte {
        case backslash: buffer.append(contentsOf: [backslash, backslash])
        case tab: buffer.append(contentsOf: [backslash, UInt8(ascii: "t")])
        case lineFeed: buffer.append(contentsOf: [backslash, UInt8(ascii: "n")])
        case carriageReturn: buffer.append(contentsOf: [backslash, UInt8(ascii: "r")])
        case 0: buffer.append(contentsOf: [backslash, UInt8(ascii: "0")])
        default: buffer.append(byte)
        }
      }
    }
    field(record.uuid)
    field(record.direction.rawValue)
    field(record.fromNumber)
    field(record.toNumber)
    field(record.originalFromNumber)
    field(record.originalToNumber)
    field(record.status.rawValue)
    field(String(record.durationSeconds))
    field(record.callSID)
    field(String(record.startedUnixMs))
    field(record.answeredUnixMs.map { String($0) })
    field(String(record.endedUnixMs))
    field(record.ingressCarrierID)
    field(record.ingressInterconnectID)
    field(record.ingressServiceID)
    field(record.egressCarrierID)
    field(record.egressInterconnectID)
    field(record.egressServiceID)
    field(String(record.sipStatus))
    field(String(record.routesTried))
    field(record.sourceAddress)
    field(record.destinationAddress)
    field(record.endedBy)
    for side in [record.customerCharge, record.supplierCharge] {
      field(side?.ratingPlanID)
      field(side?.prefix)
      field(side?.currency)
      field(side?.ratePerMinute.description)
      field(side.map { String($0.billableSeconds) })
      field(side?.amount.description)
    }
    field(record.margin?.description)
    field(chargesText(record.charges))
    field(record.supplierSIPStatus.map { String($0) })
    field(record.durationMs.map { String($0) })
    field(record.userID)
    field(record.phoneNumberID)
    field(record.ringingUnixMs.map { String($0) })
    field(record.parentCallUUID)
    ChecksummedLine.finish(&buffer, start: start)
  }

  /// The line for `record`, `\n` included.
  public static func encode(_ record: CallRecord) -> [UInt8] {
    var buffer: [UInt8] = []
    encode(record, into: &buffer)
    return buffer
  }

  /// Reads one line back. `line` is the line without its `\n` (the caller
  /// splits at `\n` and treats a last piece without one as torn).
  public static func decode(_ line: some Collection<UInt8>) throws(DecodingError) -> CallRecord {
    let payload: ArraySlice<UInt8>
    do {
      payload = try ChecksummedLine.payload(Array(line))
    } catch {
      switch error {
      case .missingChecksum: throw .missingChecksum
      case .checksumMismatch: throw .checksumMismatch
      }
    }

    let (fields, expectedCount) = try Self.versionedFields(of: payload)
    var reader = FieldReader(fields: fields.dropFirst())
    let uuid = try reader.required("uuid")
    guard let direction = CallRecord.Direction(rawValue: try reader.required("direction")) else {
      throw .invalidField(name: "direction")
    }
    let fromNumber = reader.optional()
    let toNumber = reader.optional()
    let originalFromNumber = reader.optional()
    let originalToNumber = reader.optional()
    guard let status = CallRecord.Status(rawValue: try reader.required("status")) else {
      throw .invalidField(name: "status")
    }
    let durationSeconds = try reader.integer("duration_seconds")
    let callSID = try reader.required("call_sid")
    let startedUnixMs = try reader.integer("started_unix_ms")
    let answeredUnixMs = try reader.optionalInteger("answered_unix_ms")
    let endedUnixMs = try reader.integer("ended_unix_ms")
    let ingressCarrierID = reader.optional()
    let ingressInterconnectID = reader.optional()
    let ingressServiceID = reader.optional()
    let egressCarrierID = reader.optional()
    let egressInterconnectID = reader.optional()
    let egressServiceID = reader.optional()
    guard let sipStatus = Int(exactly: try reader.integer("sip_status")) else {
      throw .invalidField(name: "sip_status")
    }
    guard let routesTried = Int(exactly: try reader.integer("routes_tried")) else {
      throw .invalidField(name: "routes_tried")
    }
    let sourceAddress = reader.optional()
    let destinationAddress = reader.optional()
    let endedBy = reader.optional()
    var customerCharge: CallRecord.RatedSide?
    var supplierCharge: CallRecord.RatedSide?
    var margin: Money?
    var charges: [AccountCharge] = []
    if expectedCount >= 36 {
      customerCharge = try reader.ratedSide("customer")
      supplierCharge = try reader.ratedSide("supplier")
      margin = try reader.optionalMoney("margin")
    }
    if expectedCount >= 37, let text = reader.optional() {
      charges = try Self.charges(text)
    }
    let supplierSIPStatus = expectedCount >= 38 ? try reader.optionalInt("supplier_sip_status") : nil
    let durationMs = expectedCount >= 39 ? try reader.optionalInteger("duration_ms") : nil
    var record = CallRecord(
      uuid: uuid, direction: direction, fromNumber: fromNumber, toNumber: toNumber,
      originalFromNumber: originalFromNumber, originalToNumber: originalToNumber, status: status,
      durationSeconds: durationSeconds, durationMs: durationMs, callSID: callSID,
      startedUnixMs: startedUnixMs,
      answeredUnixMs: answeredUnixMs, endedUnixMs: endedUnixMs, ingressCarrierID: ingressCarrierID,
      ingressInterconnectID: ingressInterconnectID, ingressServiceID: ingressServiceID,
      egressCarrierID: egressCarrierID, egressInterconnectID: egressInterconnectID,
      egressServiceID: egressServiceID, sipStatus: sipStatus, supplierSIPStatus: supplierSIPStatus,
      routesTried: routesTried,
      sourceAddress: sourceAddress, destinationAddress: destinationAddress, endedBy: endedBy,
      customerCharge: customerCharge, supplierCharge: supplierCharge, margin: margin, charges: charges)
    if expectedCount >= 41 { (record.userID, record.phoneNumberID) = (reader.optional(), reader.optional()) }
    if expectedCount >= 42 { record.ringingUnixMs = try reader.optionalInteger("ringing_unix_ms") }
    if expectedCount >= 43 { record.parentCallUUID = reader.optional() }
    return record
  }

  /// The payload's fields and its version's field count, checked.
  private static func versionedFields(of payload: ArraySlice<UInt8>) throws(DecodingError)
    -> (fields: [String?], expectedCount: Int)
  {
    let fields = try Self.fields(of: payload)
    guard let first = fields.first, let versionText = first else { throw .unknownVersion("") }
    guard let expectedCount = versionText == version ? fieldCount : previousVersions[versionText] else {
      throw .unknownVersion(versionText)
    }
    guard fields.count == expectedCount + 1 else {
      throw .wrongFieldCount(found: fields.count - 1, expected: expectedCount)
    }
    return (fields, expectedCount)
  }

  /// The payload's tab-separated fields, version first, unescaped (`\N` is nil).
  private static func fields(of payload: ArraySlice<UInt8>) throws(DecodingError) -> [String?] {
    var fields: [String?] = []
    fields.reserveCapacity(fieldCount + 1)
    var current: [UInt8] = []
    var isNull = false
    var index = payload.startIndex
    func finish() {
      fields.append(isNull ? nil : String(decoding: current, as: UTF8.self))
      current.removeAll(keepingCapacity: true)
      isNull = false
    }
    while index < payload.endIndex {
      let byte = payload[index]
      index += 1
      if byte == tab {
        finish()
        continue
      }
      guard byte == backslash else {
        current.append(byte)
        continue
      }
      guard index < payload.endIndex else { throw .invalidField(name: "escape") }
      let escaped = payload[index]
      index += 1
      switch escaped {
      case backslash: current.append(backslash)
      case UInt8(ascii: "t"): current.append(tab)
      case UInt8(ascii: "n"): current.append(lineFeed)
      case UInt8(ascii: "r"): current.append(carriageReturn)
      case UInt8(ascii: "0"): current.append(0)
      case UInt8(ascii: "N") where current.isEmpty && (index == payload.endIndex || payload[index] == tab):
        isNull = true
      default: throw .invalidField(name: "escape")
      }
    }
    finish()
    return fields
  }

  /// The charges field: nil (`\N`) when there are none.
  static func chargesText(_ charges: [AccountCharge]) -> String? {
    if charges.isEmpty { return nil }
    return charges.map { charge in
      [
        charge.account.kind.rawValue, charge.account.ownerID, charge.column.rawValue,
        charge.amount.description, charge.currency, charge.credits ? "c" : "d",
      ].joined(separator: ",")
    }.joined(separator: ";")
  }

  /// Parses the charges field (not `\N`).
  static func charges(_ text: String) throws(DecodingError) -> [AccountCharge] {
    var charges: [AccountCharge] = []
    for entry in text.split(separator: ";", omittingEmptySubsequences: false) {
      let parts = entry.split(separator: ",", omittingEmptySubsequences: false)
      guard parts.count == 6, let kind = AccountRef.Kind(rawValue: String(parts[0])), !parts[1].isEmpty,
        let column = BalanceColumn(rawValue: String(parts[2])), let amount = Money(parts[3]),
        amount >= .zero, !parts[4].isEmpty, parts[5] == "d" || parts[5] == "c"
      else { throw .invalidField(name: "charges") }
      charges.append(
        AccountCharge(
          account: AccountRef(kind, String(parts[1])), column: column, amount: amount,
          currency: String(parts[4]), credits: parts[5] == "c"))
    }
    return charges
  }

  /// Reads the decoded fields in order.
  private struct FieldReader {
    var fields: ArraySlice<String?>

    mutating func optional() -> String? { fields.popFirst() ?? nil }

    mutating func required(_ name: String) throws(DecodingError) -> String {
      guard let value = optional() else { throw .invalidField(name: name) }
      return value
    }

    mutating func integer(_ name: String) throws(DecodingError) -> Int64 {
      guard let value = Int64(try required(name)) else { throw .invalidField(name: name) }
      return value
    }

    mutating func optionalMoney(_ name: String) throws(DecodingError) -> Money? {
      guard let text = optional() else { return nil }
      guard let value = Money(text) else { throw .invalidField(name: name) }
      return value
    }

    /// Six fields of one side's charge: all NULL, or all there.
    mutating func ratedSide(_ name: String) throws(DecodingError) -> CallRecord.RatedSide? {
      let plan = optional()
      let prefix = optional()
      let currency = optional()
      let rate = try optionalMoney(name + "_rate_per_minute")
      let seconds = try optionalInteger(name + "_billable_seconds")
      let amount = try optionalMoney(name + "_amount")
      guard let plan else {
        guard prefix == nil, currency == nil, rate == nil, seconds == nil, amount == nil else {
          throw .invalidField(name: name + "_rating_plan_id")
        }
        return nil
      }
      guard let prefix, let currency, let rate, let seconds, let amount else {
        throw .invalidField(name: name + "_charge")
      }
      return CallRecord.RatedSide(
        ratingPlanID: plan, prefix: prefix, currency: currency, ratePerMinute: rate, billableSeconds: seconds,
        amount: amount)
    }

    mutating func optionalInteger(_ name: String) throws(DecodingError) -> Int64? {
      guard let text = optional() else { return nil }
      guard let value = Int64(text) else { throw .invalidField(name: name) }
      return value
    }

    mutating func optionalInt(_ name: String) throws(DecodingError) -> Int? {
      guard let text = optional() else { return nil }
      guard let value = Int(text) else { throw .invalidField(name: name) }
      return value
    }
  }

  private static let tab = UInt8(ascii: "\t")
  private static let lineFeed = UInt8(ascii: "\n")
  private static let carriageReturn = UInt8(ascii: "\r")
  private static let backslash = UInt8(ascii: "\\")
}
