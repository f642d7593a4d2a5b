import SIPTransaction

/// What a parallel fork (`Forking.parallel`) keeps besides its
/// `InviteContext`: made when the fork starts, so a sequential call carries
/// one empty reference and nothing more.
final class ForkState {
  /// The fork's branches not yet terminated (a branch leaves when its
  /// client transaction ends, which breaks the context-branch cycle).
  var branches: [ClientTransactionRecord] = []
  /// The no-answer timeout of the whole fork.
  var noAnswerTimer: TimerID?
  /// A branch failed with other than 486/600: the fork is not "busy".
  var notBusy = false
  /// A q group's branches are being started (`startGroup`).
  var starting = false

  /// Whether a branch still waits for its final response.
  var hasPendingBranch: Bool { branches.contains { !$0.receivedFinal } }
}
