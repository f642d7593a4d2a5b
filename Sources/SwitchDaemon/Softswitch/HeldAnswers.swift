import NIOConcurrencyHelpers
import NIOCore

/// Held answers (a BYE's 200, an answered call's 2xx) whose record or
/// checkpoint became durable, waiting for one trip to the loop.
final class HeldAnswers: Sendable {
  private let pending = NIOLockedValueBox<(answers: [NIOLoopBound<() -> Void>], scheduled: Bool)>(([], false))

  /// Queues `answer`; the first of a batch schedules the loop to run them all.
  func add(_ answer: NIOLoopBound<() -> Void>, on loop: any EventLoop) {
    let schedule = pending.withLockedValue { state -> Bool in
      state.answers.append(answer)
      if state.scheduled { return false }
      state.scheduled = true
      return true
    }
    guard schedule else { return }
    loop.execute { [self] in
      let answers = pending.withLockedValue { state -> [NIOLoopBound<() -> Void>] in
        state.scheduled = false
        defer { state.answers.removeAll(keepingCapacity: true) }
        return state.answers
      }
      for answer in answers { answer.value() }
    }
  }
}
