import NIOConcurrencyHelpers

/// Caps inbound stream connections overall and per source IP address, so that no
/// one peer (nor all of them together) can take every file descriptor.
final class StreamAdmission: Sendable {
  enum Refusal: String, Sendable {
    case overall = "overall"
    case perSource = "per_source"
  }

  private struct State {
    var total = 0
    var bySource: [String: Int] = [:]
  }

  private let maxTotal: Int
  private let maxPerSource: Int
  private let state = NIOLockedValueBox(State())

  init(maxTotal: Int, maxPerSource: Int) {
    self.maxTotal = maxTotal
    self.maxPerSource = maxPerSource
  }

  /// Takes a slot for a connection from `host`, or says which cap it is over.
  /// Every admitted connection must be `release`d once.
  func admit(_ host: String) -> Refusal? {
    self.state.withLockedValue { state in
      guard state.total < self.maxTotal else { return .overall }
      let fromSource = state.bySource[host, default: 0]
      guard fromSource < self.maxPerSource else { return .perSource }
      state.total += 1
      state.bySource[host] = fromSource + 1
      return nil
    }
  }

  func release(_ host: String) {
    self.state.withLockedValue { state in
      state.total -= 1
      let left = state.bySource[host, default: 1] - 1
      state.bySource[host] = left > 0 ? left : nil
    }
  }

  /// Inbound connections holding a slot now.
  var total: Int { self.state.withLockedValue { $0.total } }
}
