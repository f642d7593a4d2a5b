import Billing
import Routing

/// Call records for tests.
enum Records {
  /// A random v4 UUID in lower-case text.
  static func uuid() -> String {
    var bytes = (0..<16).map { _ in UInt8.random(in: 0...255) }
    bytes[6] = bytes[6] & 0x0F | 0x40
    bytes[8] = bytes[8] & 0x3F | 0x80
    let hex = bytes.map {
      String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16)
    }
    return [hex[0..<4], hex[4..<6], hex[6..<8], hex[8..<10], hex[10..<16]].map { $0.joined() }.joined(
      separator: "-")
  }

  /// An answered call with every field set.
  static func answered(_ index: Int = 0, uuid: String = Records.uuid()) -> CallRecord {
    CallRecord(
      uuid: uuid, direction: .outbound, fromNumber: "4930123456\(index)", toNumber: "4989555\(index)",
      originalFromNumber: "+4930123456\(index)", originalToNumber: "0049#89555\(index)", status: .completed,
      durationSeconds: 61, durationMs: 60_004, callSID: "a84b4c76e66710@pc33.example.com\t\(index)",
      startedUnixMs: 1_709_251_199_999, answeredUnixMs: 1_709_251_203_000, endedUnixMs: 1_709_251_264_000,
      ingressCarrierID: Records.uuid(), ingressInterconnectID: Records.uuid(),
      ingressServiceID: Records.uuid(),
      egressCarrierID: Records.uuid(), egressInterconnectID: Records.uuid(), egressServiceID: Records.uuid(),
      sipStatus: 200, supplierSIPStatus: 200, routesTried: 2, sourceAddress: "192.0.2.10:5060",
      destinationAddress: "198.51.100.7:5060",
      endedBy: "callee",
      customerCharge: CallRecord.RatedSide(
        ratingPlanID: "00000000-0000-4000-8000-0000000000a1", prefix: "4989", currency: "USD",
        ratePerMinute: Money("0.020")!, billableSeconds: 120, amount: Money("0.040")!),
      supplierCharge: CallRecord.RatedSide(
        ratingPlanID: "00000000-0000-4000-8000-0000000000a2", prefix: "49", currency: "EUR",
        ratePerMinute: Money("0.0095")!, billableSeconds: 66, amount: Money("0.010450")!),
      margin: Money("0.028641")!)
  }

  /// A failed call with every optional field nil.
  static func failed(_ index: Int = 0, uuid: String = Records.uuid()) -> CallRecord {
    CallRecord(
      uuid: uuid, direction: .inbound, fromNumber: nil, toNumber: nil, originalFromNumber: nil,
      originalToNumber: nil, status: .busy, durationSeconds: 0, durationMs: 0, callSID: "sid-\(index)",
      startedUnixMs: 951_868_799_123, answeredUnixMs: nil, endedUnixMs: 951_868_800_000, sipStatus: 486,
      routesTried: 1)
  }

  /// An answered call that moves `charges`.
  static func charged(_ index: Int = 0, uuid: String = Records.uuid(), charges: [AccountCharge]) -> CallRecord
  {
    var record = answered(index, uuid: uuid)
    record.charges = charges
    return record
  }

  /// A debit of a customer, a credit of a bilateral supplier and a wallet debit.
  static let threeCharges = [
    AccountCharge(
      account: AccountRef(.customer, "00000000-0000-4000-8000-0000000000c1"), column: .customer,
      amount: Money("0.04")!, currency: "USD"),
    AccountCharge(
      account: AccountRef(.supplier, "00000000-0000-4000-8000-0000000000c2"), column: .bilateral,
      amount: Money("0.01045")!, currency: "EUR", credits: true),
    AccountCharge(
      account: AccountRef(.wallet, "42"), column: .wallet, amount: Money("1.5")!, currency: "GBP"),
  ]
}
