/// How a parallel fork ended without an answer, as its router hears it
/// (`UnansweredHook`): what call rules (forward on busy, on no answer, when
/// unavailable) decide on.
public enum ForkOutcome: Sendable, Equatable {
  /// Every branch answered 486 Busy Here or 600 Busy Everywhere.
  case busy
  /// The no-answer timeout (`inviteTimeoutMs`) passed; every branch still
  /// pending was cancelled.
  case noAnswer
  /// A 6xx other than 600 (603 Decline, 604, 606): the search stopped
  /// (§16.7 step 6); not a reason to forward.
  case declined(status: Int)
  /// Every branch failed otherwise (480, 404, 5xx, timeouts, transport
  /// errors, or a mix with busy); `status` is the best response's.
  case unavailable(status: Int)
}
