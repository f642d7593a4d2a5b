import Billing
import JSON
import Policy
import Proxy
import Routing

/// The admin API's JSON shapes (docs/admin-api.yaml): snake_case names,
/// money as decimal text in the account's currency, times as Unix milliseconds.
enum AdminJSON {
  static func leg(_ leg: CarrierLeg?) -> JSONValue {
    guard let leg else { return .null }
    return .object([
      ("carrier_id", .string(leg.carrierID)), ("interconnect_id", .string(leg.interconnectID)),
      ("service_id", .string(leg.serviceID)),
    ])
  }

  static func call(_ call: ActiveCall) -> JSONValue {
    .object([
      ("id", .string(call.id)), ("call_id", .string(call.callID)), ("state", .string(call.state.rawValue)),
      ("from", .text(call.fromUser)), ("to", .text(call.toUser)), ("user_id", .text(call.userID)),
      ("ingress", leg(call.ingress)), ("egress", leg(call.egress)), ("source", .string(call.source)),
      ("destination", .text(call.destination)), ("attempts", .int(call.attempts)),
      ("started_at_ms", .number(call.startedUnixMs)), ("ringing_at_ms", .int(call.ringingUnixMs)),
      ("answered_at_ms", .int(call.answeredUnixMs)),
      (
        "timers",
        .object([
          ("max_duration_ms", .int(call.maxDurationMs)),
          ("session_interval_s", .int(call.sessionIntervalSeconds)), ("paid_ms", .int(call.paidMs)),
        ])
      ),
      (
        "reserved",
        .array(
          call.reserved.map {
            .object([
              ("account", .string($0.account.description)), ("amount", .string($0.amount.description)),
            ])
          })
      ),
    ])
  }

  static func page(_ page: ActiveCallPage) -> JSONValue {
    .object([
      ("calls", .array(page.calls.map(call))), ("total", .int(page.total)), ("offset", .int(page.offset)),
      ("limit", .int(page.limit)),
    ])
  }

  static func charge(_ charge: AccountCharge) -> JSONValue {
    .object([
      ("account", .string(charge.account.description)), ("column", .string(charge.column.rawValue)),
      ("amount", .string(charge.amount.description)), ("currency", .string(charge.currency)),
      ("credits", .bool(charge.credits)),
    ])
  }

  static func event(_ event: CallEvent, sequence: Int64) -> JSONValue {
    var members: [(String, JSONValue)] = [
      ("seq", .number(sequence)), ("state", .string(event.state.rawValue)), ("at_ms", .number(event.unixMs)),
      ("id", .string(event.id)), ("call_id", .string(event.callID)), ("from", .text(event.fromUser)),
      ("to", .text(event.toUser)), ("user_id", .text(event.userID)), ("ingress", leg(event.ingress)),
      ("egress", leg(event.egress)),
    ]
    if event.state == .ended {
      members += [
        ("status", .int(event.status)), ("ended_by", .text(event.endedBy)),
        ("duration_ms", .int(event.durationMs)),
        ("charges", .array(event.charges.map(charge))),
      ]
    }
    return .object(members)
  }

  static func position(_ ref: AccountRef, _ position: CreditPosition) -> JSONValue {
    .object([
      ("account", .string(ref.description)), ("kind", .string(ref.kind.rawValue)),
      ("owner_id", .string(ref.ownerID)), ("balance", .string(position.balance.description)),
      ("reserved", .string(position.reserved.description)),
      ("pending", .string(position.pending.description)),
      ("held_elsewhere", .string(position.heldElsewhere.description)),
      ("spent_24h", .string(position.spent24h.description)),
      ("available", .text(position.available?.description)),
    ])
  }

  static func error(_ status: Int, _ message: String) -> JSONValue {
    .object([("error", .object([("status", .int(status)), ("message", .string(message))]))])
  }
}
