import Policy
import SIPCore

/// The INVITE's option-tag and session-timer headers, read once for the
/// ingress checks (step 4 of `CallPipeline`) and every target.
struct OptionHeaders {
  let supported: [String]
  let requires100rel: Bool
  let hasPAI: Bool
  let sessionExpires: String?
  let minSE: String?

  init(_ invite: SIPMessage) {
    supported = invite.headerValues("supported")
    requires100rel = OptionTags.contains("100rel", in: invite.headerValues("require"))
    hasPAI = !invite.headerValues("p-asserted-identity").isEmpty
    sessionExpires = invite.headerValues("session-expires").first
    minSE = invite.headerValues("min-se").first
  }

  /// 4. The ingress interconnect's signalling settings on the offer: 100rel
  ///    where it is not allowed is refused when required and otherwise
  ///    dropped from Supported; a session timer below its minimum is refused,
  ///    else set as it will be forwarded.
  @inline(__always)
  func admit(_ signalling: SignallingSettings, changes: inout [MessageEdits.HeaderChange]) throws(Refusal) {
    if !signalling.reliableProvisional {
      if requires100rel { throw .reliableProvisionalUnsupported }
      changes += without100rel
    }
    if let timer = signalling.sessionTimer {
      switch inspect(timer) {
      case .tooSmall(let minimum): throw .sessionIntervalTooSmall(minSE: minimum)
      case .forward(let expires, let min): changes += Self.sessionTimerChanges(expires, min)
      }
    }
  }

  /// Supported without 100rel (nothing to change when it was not there).
  var without100rel: [MessageEdits.HeaderChange] {
    guard OptionTags.contains("100rel", in: supported) else { return [] }
    if let rest = OptionTags.removing("100rel", from: supported) { return [.set("Supported", rest)] }
    return [.remove("Supported")]
  }

  func inspect(_ timer: SessionTimerPolicy) -> SessionTimerDecision {
    timer.inspectRequest(
      sessionExpires: sessionExpires, minSE: minSE,
      uacSupportsTimer: OptionTags.contains("timer", in: supported))
  }

  static func sessionTimerChanges(_ expires: String?, _ minSE: String?) -> [MessageEdits.HeaderChange] {
    (expires.map { [.set("Session-Expires", $0)] } ?? []) + (minSE.map { [.set("Min-SE", $0)] } ?? [])
  }
}
