import NIOCore
import Proxy

/// The softswitch's `CallJournal`: an answered call's checkpoint goes to the
/// checkpoint log and an ended call's record to the call-record journal, and
/// each held answer is released on the core's event loop once fsync'd
/// (`Softswitch.checkpoint` and `Softswitch.record`).
final class SoftswitchJournal: CallJournal {
  private let softswitch: Softswitch
  private let loop: any EventLoop

  init(softswitch: Softswitch, loop: any EventLoop) {
    self.softswitch = softswitch
    self.loop = loop
  }

  func answered(_ checkpoint: DialogCheckpoint, release: @escaping () -> Void) {
    softswitch.checkpoint(checkpoint, release: release, loop: loop)
  }

  func ended(_ summary: CallSummary, release: (() -> Void)?) {
    softswitch.record(summary, release: release, loop: loop)
  }
}
