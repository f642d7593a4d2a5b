import Proxy

/// The flow tests' `CallJournal`: keeps every record in memory. Answers are
/// released at once unless `onAnswered` takes them; BYE answers at once
/// unless `holdByeAnswers`, when they wait in `pendingReleases` as they
/// would for an fsync.
final class MemoryCallJournal: CallJournal {
  var ended: [CallSummary] = []
  var pendingReleases: [() -> Void] = []
  var holdByeAnswers: Bool
  /// Takes each answered call's checkpoint and its `release`, instead of releasing it at once.
  var onAnswered: ((DialogCheckpoint, @escaping () -> Void) -> Void)?

  init(holdByeAnswers: Bool = false) {
    self.holdByeAnswers = holdByeAnswers
  }

  func answered(_ checkpoint: DialogCheckpoint, release: @escaping () -> Void) {
    guard let onAnswered else { return release() }
    onAnswered(checkpoint, release)
  }

  func ended(_ summary: CallSummary, release: (() -> Void)?) {
    ended.append(summary)
    guard let release else { return }
    if holdByeAnswers { pendingReleases.append(release) } else { release() }
  }
}
