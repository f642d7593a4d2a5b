import Billing
import Policy
import Routing

/// Step 8 of `CallPipeline`: the chosen egress services turned into
/// targets, in order. A service whose carrier, interconnect or service
/// cannot take the call, is at capacity or shares no codec is skipped, as is
/// a supplier whose account cannot pay the first interval or reached its
/// 24-hour spend limit. When none is left the call is refused with the most
/// telling reason.
struct EgressTargets {
  private(set) var targets: [RouteTarget] = []
  /// Some target's interconnect watches session timers.
  private(set) var sessionTimer = false

  @inline(__always)
  init(_ choice: RouteChoice, _ builder: EgressTargetBuilder, credit: CreditLedger?) throws(Refusal) {
    targets.reserveCapacity(choice.serviceIDs.count)
    var codecSkips = 0
    var creditSkips = 0
    for serviceID in choice.serviceIDs {
      switch builder.target(for: serviceID) {
      case .target(var target, let sessionTimer):
        target.supplierQuote = choice.supplierQuote(serviceID)
        if let credit, !credit.supplierCanCarry(target) {
          creditSkips += 1
          continue
        }
        targets.append(target)
        self.sessionTimer = self.sessionTimer || sessionTimer
      case .noCommonCodec: codecSkips += 1
      case .unusable: break
      }
    }
    guard targets.isEmpty else { return }
    if codecSkips > 0 { throw .noSupplierCodec }
    if creditSkips > 0 { throw .noSupplierCredit }
    throw choice.noSupplierRefusal
  }
}
