import SIPCore

/// What the codec policy does with one SDP offer or answer.
public enum CodecDecision: Sendable, Equatable {
  /// No rules, or nothing to change: send the body as it came.
  case unchanged
  /// Send this description instead.
  case rewritten(SessionDescription)
  /// No allowed codec is left on any audio stream: the caller answers
  /// `488 Not Acceptable Here` with this reason.
  case noCommonCodec(reason: String)
}
