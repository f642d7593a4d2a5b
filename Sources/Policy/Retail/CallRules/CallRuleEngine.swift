/// What to do with a call to a DID (docs/dids.md): pure, over the number's
/// call rules, its owner's local time and whether any of the owner's devices
/// is registered.
///
/// 1. Rules that are not active, or whose schedule is closed now, are left out.
/// 2. Of the rules that decide at once, the first in priority order wins:
///    `do_not_disturb` refuses (486 Do Not Disturb), `forward_always`
///    forwards, `forward_unavailable` forwards when no device is registered.
/// 3. Else the devices ring; the first `forward_busy`, `forward_no_answer`
///    and `forward_unavailable` rule (in priority order) say where the call
///    goes when every device is busy, when none answers in the rule's
///    timeout, and when every device fails. No device registered and no
///    `forward_unavailable` rule: 480 Temporarily Unavailable.
/// 4. A forward to a number that is itself an active DID of this switch
///    continues with that number's rules (on-net), and so on: a number met
///    twice is a forwarding loop, refused with 482 Loop Detected, as is a
///    chain longer than `maxHops`.
public enum CallRuleEngine {
  /// The longest chain of on-net forwards followed.
  public static let maxHops = 5

  /// A forward: the rule that made it and where it goes.
  public struct Forward: Sendable, Equatable {
    public var ruleID: String
    public var target: CallForwardTarget

    public init(ruleID: String, target: CallForwardTarget) {
      self.ruleID = ruleID
      self.target = target
    }
  }

  /// Where a ringing call goes when the devices do not take it.
  public struct Fallbacks: Sendable, Equatable {
    public var onBusy: Forward?
    public var onNoAnswer: Forward?
    /// Seconds the devices ring before `onNoAnswer` (set with it).
    public var noAnswerSeconds: Int?
    public var onUnavailable: Forward?

    public init(
      onBusy: Forward? = nil, onNoAnswer: Forward? = nil, noAnswerSeconds: Int? = nil,
      onUnavailable: Forward? = nil
    ) {
      self.onBusy = onBusy
      self.onNoAnswer = onNoAnswer
      self.noAnswerSeconds = noAnswerSeconds
      self.onUnavailable = onUnavailable
    }

    public var isEmpty: Bool { onBusy == nil && onNoAnswer == nil && onUnavailable == nil }
  }

  /// One number's decision.
  public enum Decision: Sendable, Equatable {
    case refuse(status: Int, reason: String)
    case forward(Forward)
    /// Ring the owner's devices (there is at least one binding).
    case ring(Fallbacks)
  }

  /// The decision for one number: its rules (by priority), the owner's
  /// local time now, and whether the owner has a registered device.
  public static func decide(_ rules: [CallRule], at clock: WallClock, registered: Bool) -> Decision {
    var fallbacks = Fallbacks()
    for rule in rules where rule.schedule?.applies(at: clock) ?? true {
      let forward = rule.forwardTo.map { Forward(ruleID: rule.id, target: $0) }
      switch rule.kind {
      case .doNotDisturb: return .refuse(status: 486, reason: "Do Not Disturb")
      case .forwardAlways: if let forward { return .forward(forward) }
      case .forwardUnavailable:
        guard let forward else { continue }
        if !registered { return .forward(forward) }
        if fallbacks.onUnavailable == nil { fallbacks.onUnavailable = forward }
      case .forwardBusy: if fallbacks.onBusy == nil { fallbacks.onBusy = forward }
      case .forwardNoAnswer:
        if fallbacks.onNoAnswer == nil, let forward {
          fallbacks.onNoAnswer = forward
          fallbacks.noAnswerSeconds = rule.timeoutSeconds ?? CallRule.defaultNoAnswerSeconds
        }
      }
    }
    guard registered else { return .refuse(status: 480, reason: "Temporarily Unavailable") }
    return .ring(fallbacks)
  }

  /// The result of following a call to a DID through on-net forwards.
  public enum Route: Sendable, Equatable {
    case refuse(status: Int, reason: String)
    /// Ring `number`'s owner's devices (the last number of the chain).
    case ring(DIDNumber, Fallbacks)
    /// Forward out (a number routed through the routing plans as a call of
    /// `number`'s owner, or a SIP URI); `number` is the chain's last DID.
    case forward(DIDNumber, Forward)
  }

  /// Follows the call from `first` (an active, owned DID) through forwards
  /// to other active DIDs of `directory`. `clock(userID)` is the owner's
  /// local time, `registered(userID)` whether it has a device registered.
  public static func route(
    from first: DIDNumber, in directory: DIDDirectory, clock: (String) -> WallClock,
    registered: (String) -> Bool
  ) -> Route {
    var current = first
    var visited: Set<String> = [first.number]
    for _ in 0...maxHops {
      guard let owner = current.userID else { return .refuse(status: 480, reason: "Number Unassigned") }
      let decision = decide(current.rules, at: clock(owner), registered: registered(owner))
      switch decision {
      case .refuse(let status, let reason): return .refuse(status: status, reason: reason)
      case .ring(var fallbacks):
        // A fallback back into the chain would ring a number already tried.
        for keyPath in [\Fallbacks.onBusy, \Fallbacks.onNoAnswer, \Fallbacks.onUnavailable] {
          if case .number(let number)? = fallbacks[keyPath: keyPath]?.target,
            visited.contains(DIDDirectory.normalized(number))
          {
            fallbacks[keyPath: keyPath] = nil
          }
        }
        if fallbacks.onNoAnswer == nil { fallbacks.noAnswerSeconds = nil }
        return .ring(current, fallbacks)
      case .forward(let forward):
        guard case .number(let number) = forward.target, let next = directory.number(number),
          next.refusal == nil
        else { return .forward(current, forward) }
        guard visited.insert(next.number).inserted else {
          return .refuse(status: 482, reason: "Forwarding Loop")
        }
        current = next
      }
    }
    return .refuse(status: 482, reason: "Forwarding Loop")
  }
}
