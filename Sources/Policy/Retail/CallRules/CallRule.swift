/// A `call_rules` row (seed 000, migrations 0005 and 0022) as the switch
/// acts on it: what the owner of a DID wants done with calls to it
/// (docs/dids.md). Checked when it is loaded: a row the switch cannot act
/// on refuses the load.
public struct CallRule: Sendable, Equatable {
  /// `call_rules.rule_type` (seed 000 `call_rule_type`).
  public enum Kind: String, Sendable, CaseIterable {
    case forwardAlways = "forward_always"
    case forwardBusy = "forward_busy"
    case forwardNoAnswer = "forward_no_answer"
    case forwardUnavailable = "forward_unavailable"
    case doNotDisturb = "do_not_disturb"
  }

  public var id: String
  public var phoneNumberID: String
  public var kind: Kind
  /// `forward_to`, read: nil only for `do_not_disturb`.
  public var forwardTo: CallForwardTarget?
  /// `timeout_seconds`: how long the devices ring before a
  /// `forward_no_answer` rule forwards (nil: `defaultNoAnswerSeconds`).
  public var timeoutSeconds: Int?
  /// When the rule applies (nil: always).
  public var schedule: CallRuleSchedule?
  /// `priority`: lower numbers first; equal priorities by id.
  public var priority: Int

  /// Ringing time of a `forward_no_answer` rule without `timeout_seconds`.
  public static let defaultNoAnswerSeconds = 20

  public init(
    id: String, phoneNumberID: String, kind: Kind, forwardTo: CallForwardTarget? = nil,
    timeoutSeconds: Int? = nil, schedule: CallRuleSchedule? = nil, priority: Int = 1
  ) {
    self.id = id
    self.phoneNumberID = phoneNumberID
    self.kind = kind
    self.forwardTo = forwardTo
    self.timeoutSeconds = timeoutSeconds
    self.schedule = schedule
    self.priority = priority
  }

  /// Why a row cannot be acted on, or nil. `forward_to` missing on a
  /// forwarding rule, a timeout that is not positive.
  public var problem: String? {
    if kind != .doNotDisturb, forwardTo == nil { return "\(kind.rawValue) needs forward_to" }
    if let timeoutSeconds, timeoutSeconds <= 0 { return "timeout_seconds \(timeoutSeconds) is not positive" }
    return nil
  }

  /// The order rules are considered in: priority, then id (numerically when both are integers).
  public static func precedes(_ a: CallRule, _ b: CallRule) -> Bool {
    if a.priority != b.priority { return a.priority < b.priority }
    if let x = Int64(a.id), let y = Int64(b.id), x != y { return x < y }
    return a.id < b.id
  }
}
