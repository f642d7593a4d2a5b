import Billing
import Testing

@testable import Store

@Suite("CallRecordLine: the journal's line format")
struct CallRecordLineTests {
  @Test func crc32OfTheStandardVector() {
    #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
  }

  @Test(arguments: [
    Records.answered(7), Records.failed(3), Records.charged(5, charges: Records.threeCharges),
  ])
  func roundTrips(_ record: CallRecord) throws {
    let line = CallRecordLine.encode(record)
    #expect(line.last == UInt8(ascii: "\n"))
    #expect(line.dropLast().contains(UInt8(ascii: "\n")) == false)
    #expect(try CallRecordLine.decode(line.dropLast()) == record)
  }

  @Test func escapesEverythingThatCouldBreakALine() throws {
    var record = Records.failed()
    record.fromNumber = "a\tb\nc\rd\\e"
    record.toNumber = "\\N"
    record.originalFromNumber = ""
    record.originalToNumber = "ünïcödé ☎"
    record.callSID = "nul\u{0}byte"
    record.endedBy = "\\"
    let line = CallRecordLine.encode(record)
    #expect(line.filter { $0 == UInt8(ascii: "\n") }.count == 1)
    #expect(line.contains(0) == false)
    #expect(try CallRecordLine.decode(line.dropLast()) == record)
  }

  @Test func isReadableText() {
    let text = String(decoding: CallRecordLine.encode(Records.failed(1, uuid: "u-1")), as: UTF8.self)
    #expect(
      text.hasSuffix(
        "\tv6\tu-1\tinbound\t\\N\t\\N\t\\N\t\\N\tbusy\t0\tsid-1\t951868799123\t\\N\t951868800000"
          + "\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t486\t1\t\\N\t\\N\t\\N"
          + String(repeating: "\t\\N", count: 15) + "\t0\t\\N\t\\N\t\\N\t\\N\n"))
  }

  @Test func chargesAreOneFieldOfCommaSeparatedEntries() {
    let text = String(
      decoding: CallRecordLine.encode(Records.charged(1, charges: Records.threeCharges)), as: UTF8.self)
    #expect(
      text.hasSuffix(
        "\tcustomer,00000000-0000-4000-8000-0000000000c1,customer,0.040000,USD,d"
          + ";supplier,00000000-0000-4000-8000-0000000000c2,bilateral,0.010450,EUR,c"
          + ";wallet,42,wallet,1.500000,GBP,d\t200\t60004\t\\N\t\\N\t\\N\t\\N\n"))
  }

  @Test func theSupplierStatusFollowsTheCharges() throws {
    var record = Records.failed(1, uuid: "u-1")
    record.supplierSIPStatus = 503
    let encoded = CallRecordLine.encode(record)
    #expect(
      String(decoding: encoded, as: UTF8.self).hasSuffix(
        "\t486\t1\t\\N\t\\N\t\\N" + String(repeating: "\t\\N", count: 14) + "\t503\t0\t\\N\t\\N\t\\N\t\\N\n"))
    #expect(try CallRecordLine.decode(encoded.dropLast()) == record)
    var fields = Self.v3Fields + ["x"]
    #expect(throws: CallRecordLine.DecodingError.invalidField(name: "supplier_sip_status")) {
      try CallRecordLine.decode(line("v4\t" + fields.joined(separator: "\t")))
    }
    fields[37] = "\\N"
    #expect(try CallRecordLine.decode(line("v4\t" + fields.joined(separator: "\t"))).supplierSIPStatus == nil)
  }

  @Test func theSoftphoneCallerIsTheLastTwoFieldsAndAV4LineReadsWithout() throws {
    var record = Records.failed(1, uuid: "u-1")
    record.userID = "42"
    record.phoneNumberID = "7"
    let encoded = CallRecordLine.encode(record)
    #expect(String(decoding: encoded, as: UTF8.self).hasSuffix("\t42\t7\t\\N\t\\N\n"))
    #expect(try CallRecordLine.decode(encoded.dropLast()) == record)
    // The same record as v4 wrote it: no user, no number.
    let text = String(decoding: encoded.dropLast(), as: UTF8.self).split(separator: "\t").dropFirst()
    let v4 = "v4\t" + text.dropFirst().dropLast(5).joined(separator: "\t")
    let decoded = try CallRecordLine.decode(line(v4))
    #expect(decoded.userID == nil && decoded.phoneNumberID == nil && decoded.uuid == "u-1")
  }

  /// A journal written by the previous version (v3: no supplier status) still replays after an upgrade.
  @Test func aVersion3LineReadsWithoutTheSupplierStatus() throws {
    var record = Records.charged(4, charges: Records.threeCharges)
    #expect(record.supplierSIPStatus == 200)
    let full = CallRecordLine.encode(record)
    let payload = String(decoding: full.dropFirst(9).dropLast(), as: UTF8.self)
    let v3 =
      "v3\t"
      + payload.split(separator: "\t", omittingEmptySubsequences: false)[1...37].joined(separator: "\t")
    record.supplierSIPStatus = nil
    record.durationMs = nil
    #expect(try CallRecordLine.decode(line(v3)) == record)
    // The v3 record of the fields above, as the previous version wrote it.
    #expect(try CallRecordLine.decode(line("v3\t" + Self.v3Fields.joined(separator: "\t"))).sipStatus == 200)
  }

  /// Issue 17, rule 8: the exact duration follows the supplier status in `v5`; a
  /// journal of the previous version (`v4`, 38 fields) still replays, without it.
  @Test func theDurationInMillisecondsIsTheLastFieldAndAVersion4LineReadsWithout() throws {
    var record = Records.charged(4, charges: Records.threeCharges)
    record.durationSeconds = 3
    record.durationMs = 2_006
    let full = CallRecordLine.encode(record)
    #expect(String(decoding: full, as: UTF8.self).hasSuffix("\t200\t2006\t\\N\t\\N\t\\N\t\\N\n"))
    #expect(try CallRecordLine.decode(full.dropLast()) == record)
    let payload = String(decoding: full.dropFirst(9).dropLast(), as: UTF8.self)
    let fields = payload.split(separator: "\t", omittingEmptySubsequences: false)
    #expect(fields.first == "v6" && fields.count == 44)
    let v4 = "v4\t" + fields[1...38].joined(separator: "\t")
    record.durationMs = nil
    #expect(try CallRecordLine.decode(line(v4)) == record)
    // A v4 line with a 39th field, a v5 line without the last four, and a bad value are refused.
    #expect(throws: CallRecordLine.DecodingError.wrongFieldCount(found: 39, expected: 38)) {
      try CallRecordLine.decode(line("v4\t" + fields[1...39].joined(separator: "\t")))
    }
    #expect(throws: CallRecordLine.DecodingError.wrongFieldCount(found: 38, expected: 42)) {
      try CallRecordLine.decode(line("v5\t" + fields[1...38].joined(separator: "\t")))
    }
    #expect(throws: CallRecordLine.DecodingError.invalidField(name: "duration_ms")) {
      try CallRecordLine.decode(
        line("v5\t" + fields[1...38].joined(separator: "\t") + "\t2.006\t\\N\t\\N\t\\N"))
    }
  }

  /// Issue 18 item 8: the ringing time (`calls.ringing_at`) is the last field
  /// of `v5` (42 fields); a `cancelled` status round-trips; a `v4` line reads
  /// without a ringing time.
  @Test func theRingingTimeIsTheLastFieldAndAV4LineReadsWithout() throws {
    var record = Records.failed(1, uuid: "u-ring")
    record.status = .cancelled
    record.sipStatus = 487
    record.ringingUnixMs = 1_790_000_001_234
    let encoded = CallRecordLine.encode(record)
    let text = String(decoding: encoded, as: UTF8.self)
    #expect(text.hasSuffix("\t1790000001234\t\\N\n"))
    #expect(text.contains("\tcancelled\t"))
    #expect(try CallRecordLine.decode(encoded.dropLast()) == record)
    let fields = String(decoding: encoded.dropFirst(9).dropLast(), as: UTF8.self)
      .split(separator: "\t", omittingEmptySubsequences: false)
    #expect(fields.count == 44)
    let v4 = try CallRecordLine.decode(line("v4\t" + fields[1...38].joined(separator: "\t")))
    #expect(v4.ringingUnixMs == nil && v4.status == .cancelled)
    #expect(throws: CallRecordLine.DecodingError.invalidField(name: "ringing_unix_ms")) {
      try CallRecordLine.decode(line("v5\t" + fields[1...41].joined(separator: "\t") + "\tsoon"))
    }
  }

  /// Issue 19: a forwarded leg names its inbound call (`calls.parent_call_uuid`),
  /// the last field of `v6` (43 fields); a `v5` line (42 fields) still
  /// replays, without it; a `v6` line of 42 fields is refused.
  @Test func theParentCallIsTheLastFieldAndAV5LineReadsWithout() throws {
    var record = Records.failed(1, uuid: "u-leg")
    record.ringingUnixMs = 1_790_000_001_234
    record.userID = "1001"
    record.parentCallUUID = "0b7c6a52-1d3e-4f5a-9b8c-7d6e5f4a3b2c"
    let encoded = CallRecordLine.encode(record)
    let text = String(decoding: encoded, as: UTF8.self)
    #expect(text.hasSuffix("\t1790000001234\t0b7c6a52-1d3e-4f5a-9b8c-7d6e5f4a3b2c\n"))
    #expect(try CallRecordLine.decode(encoded.dropLast()) == record)
    let fields = String(decoding: encoded.dropFirst(9).dropLast(), as: UTF8.self)
      .split(separator: "\t", omittingEmptySubsequences: false)
    #expect(fields.first == "v6" && fields.count == 44)
    let v5 = try CallRecordLine.decode(line("v5\t" + fields[1...42].joined(separator: "\t")))
    #expect(v5.parentCallUUID == nil && v5.ringingUnixMs == 1_790_000_001_234 && v5.userID == "1001")
    #expect(throws: CallRecordLine.DecodingError.wrongFieldCount(found: 42, expected: 43)) {
      try CallRecordLine.decode(line("v6\t" + fields[1...42].joined(separator: "\t")))
    }
  }

  @Test(arguments: [
    "customer,x,customer,1.0,USD", "customer,x,customer,1.0,USD,d,", "bank,x,customer,1.0,USD,d",
    "customer,,customer,1.0,USD,d", "customer,x,savings,1.0,USD,d", "customer,x,customer,-1,USD,d",
    "customer,x,customer,1.0,USD,x", "customer,x,customer,1.0,,d", "customer,x,customer,1.0,USD,d;",
    "customer,x,customer,one,USD,d",
  ])
  func badChargesAreRefused(_ charges: String) throws {
    var fields = Self.v3Fields
    fields[36] = charges
    #expect(throws: CallRecordLine.DecodingError.invalidField(name: "charges")) {
      try CallRecordLine.decode(line("v3\t" + fields.joined(separator: "\t")))
    }
    fields[36] = "customer,x,customer,1.0,USD,d"
    #expect(try CallRecordLine.decode(line("v3\t" + fields.joined(separator: "\t"))).charges.count == 1)
  }

  /// A valid unrated v3 record's fields, without charges.
  static let v3Fields: [String] = {
    var fields = Array(repeating: "\\N", count: 37)
    fields[0] = "u"
    fields[1] = "outbound"
    fields[6] = "completed"
    fields[7] = "1"
    fields[8] = "sid"
    fields[9] = "1"
    fields[11] = "2"
    fields[18] = "200"
    fields[19] = "1"
    return fields
  }()

  @Test func aTornLineFailsItsChecksum() {
    let line = CallRecordLine.encode(Records.answered())
    for cut in [line.count - 2, line.count / 2, 20] {
      #expect(throws: CallRecordLine.DecodingError.checksumMismatch) {
        try CallRecordLine.decode(line[..<cut])
      }
    }
    #expect(throws: CallRecordLine.DecodingError.missingChecksum) { try CallRecordLine.decode(line[..<5]) }
    #expect(throws: CallRecordLine.DecodingError.missingChecksum) { try CallRecordLine.decode([UInt8]()) }
  }

  @Test func aChangedByteFailsItsChecksum() {
    var line = Array(CallRecordLine.encode(Records.answered()).dropLast())
    let index = line.firstIndex(of: UInt8(ascii: "4"))!
    line[index] = UInt8(ascii: "5")
    #expect(throws: CallRecordLine.DecodingError.checksumMismatch) { try CallRecordLine.decode(line) }
    var checksum = Array(CallRecordLine.encode(Records.answered()).dropLast())
    checksum[0] = checksum[0] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
    #expect(throws: CallRecordLine.DecodingError.checksumMismatch) { try CallRecordLine.decode(checksum) }
  }

  @Test func zerosFromACrashAreNotALine() {
    #expect(throws: CallRecordLine.DecodingError.missingChecksum) {
      try CallRecordLine.decode([UInt8](repeating: 0, count: 300))
    }
  }

  @Test func unknownVersionsAndFieldCountsAreRefused() {
    #expect(throws: CallRecordLine.DecodingError.unknownVersion("v9")) {
      try CallRecordLine.decode(line("v9\ta"))
    }
    #expect(throws: CallRecordLine.DecodingError.wrongFieldCount(found: 2, expected: 23)) {
      try CallRecordLine.decode(line("v1\ta\tb"))
    }
    #expect(throws: CallRecordLine.DecodingError.wrongFieldCount(found: 2, expected: 36)) {
      try CallRecordLine.decode(line("v2\ta\tb"))
    }
    #expect(throws: CallRecordLine.DecodingError.wrongFieldCount(found: 36, expected: 37)) {
      try CallRecordLine.decode(line("v3\t" + Self.v3Fields.dropLast().joined(separator: "\t")))
    }
    #expect(throws: CallRecordLine.DecodingError.wrongFieldCount(found: 37, expected: 38)) {
      try CallRecordLine.decode(line("v4\t" + Self.v3Fields.joined(separator: "\t")))
    }
  }

  /// A journal written before account charges existed still replays after an upgrade.
  @Test func aVersion2LineReadsWithoutAccountCharges() throws {
    var record = Records.charged(4, charges: Records.threeCharges)
    let full = CallRecordLine.encode(record)
    let payload = String(decoding: full.dropFirst(9).dropLast(), as: UTF8.self)
    let v2 =
      "v2\t"
      + payload.split(separator: "\t", omittingEmptySubsequences: false)[1...36].joined(separator: "\t")
    record.charges = []
    record.supplierSIPStatus = nil
    record.durationMs = nil
    #expect(try CallRecordLine.decode(line(v2)) == record)
  }

  /// A journal written before rating existed still replays after an upgrade.
  @Test func aVersion1LineReadsWithoutCharges() throws {
    var record = Records.charged(4, charges: Records.threeCharges)
    let full = CallRecordLine.encode(record)
    // The v1 payload: the first 23 fields of the v2 one.
    let payload = String(decoding: full.dropFirst(9).dropLast(), as: UTF8.self)
    let v1 =
      "v1\t"
      + payload.split(separator: "\t", omittingEmptySubsequences: false)[1...23].joined(separator: "\t")
    record.customerCharge = nil
    record.supplierCharge = nil
    record.margin = nil
    record.charges = []
    record.supplierSIPStatus = nil
    record.durationMs = nil
    #expect(try CallRecordLine.decode(line(v1)) == record)
  }

  @Test func aHalfRatedSideIsRefused() {
    let fields = Array(repeating: "\\N", count: 36)
    var broken = fields
    broken[0] = "u"
    broken[1] = "outbound"
    broken[6] = "completed"
    broken[7] = "1"
    broken[8] = "sid"
    broken[9] = "1"
    broken[11] = "2"
    broken[18] = "200"
    broken[19] = "1"
    broken[23] = "00000000-0000-4000-8000-0000000000a1"
    #expect(throws: CallRecordLine.DecodingError.invalidField(name: "customer_charge")) {
      try CallRecordLine.decode(line("v2\t" + broken.joined(separator: "\t")))
    }
  }

  /// A correctly checksummed line around `payload`.
  private func line(_ payload: String) -> [UInt8] {
    let crc = String(CRC32.checksum(Array(payload.utf8)), radix: 16)
    return Array((String(repeating: "0", count: 8 - crc.count) + crc + "\t" + payload).utf8)
  }

  @Test(arguments: [
    (Int64(0), "1970-01-01 00:00:00.000+00"),
    (951_868_799_123, "2000-02-29 23:59:59.123+00"),
    (1_709_251_199_999, "2024-02-29 23:59:59.999+00"),
    (-1, "1969-12-31 23:59:59.999+00"),
    (253_402_300_799_999, "9999-12-31 23:59:59.999+00"),
  ])
  func timestampsAreExactUTC(_ milliseconds: Int64, _ text: String) {
    #expect(TimestampText.utc(unixMilliseconds: milliseconds) == text)
  }
}
