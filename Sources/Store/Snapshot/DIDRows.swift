import Foundation
import Policy
import Routing

/// Reads every `phone_numbers` row as a DID, the active `call_rules` of
/// each, and the time zones of their owners (`users.time_zone`, migration
/// 0022; docs/dids.md). A rule the switch cannot act on (a forwarding rule
/// without a usable `forward_to`, a timeout that is not positive, a
/// schedule of another shape) or an unknown time zone refuses the load with
/// the row named; the previous snapshot stays.
struct DIDRows {
  let connection: PGConnection
  var zoneDirectory = TimeZoneFile.defaultDirectory

  /// `owners`: the users who own numbers (their wallets and ingress services).
  func load(owners: [RetailUser]) throws -> DIDDirectory {
    let rules = try activeRules()
    let rows = try connection.query(
      "SELECT id::text, number, user_id::text, status::text, type::text FROM phone_numbers")
    var numbers: [DIDNumber] = []
    numbers.reserveCapacity(rows.rowCount)
    for row in 0..<rows.rowCount {
      let fields = Fields(table: "phone_numbers", id: rows.string(row, 0) ?? "", result: rows, row: row)
      let id = try fields.text(0)
      numbers.append(
        DIDNumber(
          id: id, number: try fields.text(1), userID: rows.string(row, 2), status: try fields.enumValue(3),
          isTollFree: rows.string(row, 4) == "toll_free", rules: rules[id] ?? []))
    }
    let zones = try timeZones()
    return DIDDirectory(
      numbers, owners: owners,
      localClock: { userID, unixMs in
        guard let zone = zones[userID] else { return DIDDirectory.utcClock(unixMs) }
        return Self.wallClock(zone, unixMs)
      })
  }

  /// The wall clock in `zone` at `unixMs` (its offset then: daylight saving included).
  static func wallClock(_ zone: TimeZoneRules, _ unixMs: Int64) -> WallClock {
    let local = zone.localTime(atUnixMs: unixMs)
    return WallClock(weekday: local.weekday, minuteOfDay: local.minuteOfDay)
  }

  /// Active call rules by phone number id.
  private func activeRules() throws -> [String: [CallRule]] {
    let rows = try connection.query(
      """
      SELECT id::text, phone_number_id::text, rule_type::text, forward_to, timeout_seconds, schedule::text,
             priority
      FROM call_rules WHERE is_active
      """)
    var rules: [String: [CallRule]] = [:]
    for row in 0..<rows.rowCount {
      let fields = Fields(table: "call_rules", id: rows.string(row, 0) ?? "", result: rows, row: row)
      let forwardText = fields.optionalText(3)
      let forwardTo = forwardText.flatMap(CallForwardTarget.init)
      if let forwardText, forwardTo == nil {
        throw fields.fail(3, "is neither a number nor a SIP URI: \(forwardText)")
      }
      let timeout = try fields.int(4)
      let rule = CallRule(
        id: try fields.text(0), phoneNumberID: try fields.text(1), kind: try fields.enumValue(2),
        forwardTo: forwardTo, timeoutSeconds: timeout,
        schedule: try fields.optionalText(5).map { text in
          do {
            return try Self.schedule(json: text)
          } catch {
            throw fields.fail(5, "has an unknown shape: \(error)")
          }
        }, priority: try fields.int(6) ?? 1)
      if let problem = rule.problem {
        throw ReferenceDataError(table: "call_rules", rowID: rule.id, problem: problem)
      }
      rules[rule.phoneNumberID, default: []].append(rule)
    }
    return rules
  }

  /// `users.time_zone` of every user that has one.
  private func timeZones() throws -> [String: TimeZoneRules] {
    let rows = try connection.query(
      "SELECT id::text, time_zone FROM users WHERE time_zone IS NOT NULL AND time_zone <> ''")
    var byName: [String: TimeZoneRules] = [:]
    var byUser: [String: TimeZoneRules] = [:]
    for row in 0..<rows.rowCount {
      let fields = Fields(table: "users", id: rows.string(row, 0) ?? "", result: rows, row: row)
      let name = try fields.text(1)
      if let known = byName[name] {
        byUser[try fields.text(0)] = known
        continue
      }
      do {
        let zone = try TimeZoneFile.rules(named: name, directory: zoneDirectory)
        byName[name] = zone
        byUser[try fields.text(0)] = zone
      } catch {
        throw fields.fail(1, "\(error)")
      }
    }
    return byUser
  }

  struct ShapeError: Error, CustomStringConvertible {
    var description: String
  }

  /// `call_rules.schedule` (migration 0022): `{"windows": [{"days": [1..7],
  /// "start": "HH:MM", "end": "HH:MM"}, ...]}`, nothing else.
  static func schedule(json: String) throws(ShapeError) -> CallRuleSchedule {
    let decoded: ScheduleJSON
    do {
      decoded = try JSONDecoder().decode(ScheduleJSON.self, from: Data(json.utf8))
    } catch let error as ShapeError {
      throw error
    } catch {
      throw ShapeError(description: "not {\"windows\": [{\"days\", \"start\", \"end\"}]}")
    }
    var windows: [CallRuleSchedule.Window] = []
    for window in decoded.windows {
      guard Set(window.days).count == window.days.count else {
        throw ShapeError(description: "a weekday is listed twice")
      }
      guard let start = CallRuleSchedule.minutes(window.start),
        let end = CallRuleSchedule.minutes(window.end),
        start < 1440
      else { throw ShapeError(description: "start and end must be \"HH:MM\"") }
      windows.append(.init(days: Set(window.days), startMinute: start, endMinute: end))
    }
    let schedule = CallRuleSchedule(windows: windows)
    if let problem = schedule.problem { throw ShapeError(description: problem) }
    return schedule
  }

  /// The JSON as written; any key besides these refuses it.
  private struct ScheduleJSON: Decodable {
    struct Window: Decodable {
      var days: [Int]
      var start: String
      var end: String

      init(from decoder: any Decoder) throws {
        try ScheduleJSON.onlyKeys(["days", "start", "end"], decoder)
        let container = try decoder.container(keyedBy: Key.self)
        days = try container.decode([Int].self, forKey: Key("days"))
        start = try container.decode(String.self, forKey: Key("start"))
        end = try container.decode(String.self, forKey: Key("end"))
      }
    }

    var windows: [Window]

    init(from decoder: any Decoder) throws {
      try Self.onlyKeys(["windows"], decoder)
      windows = try decoder.container(keyedBy: Key.self).decode([Window].self, forKey: Key("windows"))
    }

    struct Key: CodingKey {
      var stringValue: String
      var intValue: Int? { nil }
      init(_ name: String) { stringValue = name }
      init?(stringValue: String) { self.stringValue = stringValue }
      init?(intValue: Int) { nil }
    }

    static func onlyKeys(_ names: Set<String>, _ decoder: any Decoder) throws {
      let keys = Set(try decoder.container(keyedBy: Key.self).allKeys.map(\.stringValue))
      guard keys == names else {
        throw ShapeError(description: "keys \(keys.sorted()) are not \(names.sorted())")
      }
    }
  }
}
