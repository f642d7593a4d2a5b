import Billing
import Policy
import SIPCore

/// Who is calling, and what its interconnect's settings say of the INVITE:
/// steps 1 (identification), 2 (validation) and 5 (the caller's
/// translation) of `CallPipeline`.
struct IngressCall {
  /// The ingress carrier, interconnect and carrier service.
  let match: IngressMatch
  /// The ingress interconnect's settings.
  let policy: InterconnectPolicy
  /// The called number as it came: without tech prefix or RFC 4904 user
  /// parameters (;tgrp=...), before translation.
  let number: String
  /// The Request-URI user as it came (the validation settings read it).
  let requestUser: String
  /// The softphone user who placed the call (nil: an interconnect's call).
  let retailCaller: RetailCaller?

  /// 1. The ingress interconnect by source address, port, transport and
  ///    tech prefix (`IngressIdentifier`), or its refusal.
  @inline(__always)
  init(_ invite: SIPMessage, source: Endpoint, snapshot: Snapshot) throws(Refusal) {
    requestUser = invite.requestURI?.user ?? ""
    switch snapshot.identifier.identify(source: source, requestURIUser: requestUser) {
    case .rejected(let status, let reason): throw .ingress(status: status, reason: reason)
    case .matched(let found): match = found
    }
    policy = snapshot.policy(of: match.interconnect.id)
    number = match.number.contains(";") ? numberWithoutUserParameters(match.number) : match.number
    retailCaller = nil
  }

  /// 1. An authenticated softphone user's call: its user's retail ingress
  ///    service (`Snapshot.retailIngress`), or its refusal.
  init(_ invite: SIPMessage, caller: RetailCaller, snapshot: Snapshot) throws(Refusal) {
    requestUser = invite.requestURI?.user ?? ""
    switch snapshot.retailIngress(of: caller.user, number: requestUser) {
    case .failure(let refusal): throw refusal
    case .success(let found): match = found
    }
    policy = snapshot.policy(of: match.interconnect.id)
    number = requestUser.contains(";") ? numberWithoutUserParameters(requestUser) : requestUser
    retailCaller = caller
  }

  /// The side of the call the live-call counts and the call record name.
  var leg: CarrierLeg {
    CarrierLeg(
      carrierID: match.carrier.id, interconnectID: match.interconnect.id, serviceID: match.service.id)
  }

  /// 9. The account that pays for the call: a softphone user's wallet
  ///    (`402 No Wallet` when the user has none), else the ingress
  ///    carrier's customer account (docs/credit.md).
  func payingAccount() throws(Refusal) -> AccountRef {
    guard let retailCaller else { return AccountRef(.customer, match.carrier.id) }
    guard let wallet = retailCaller.user.walletID else { throw .noWallet }
    return AccountRef(.wallet, wallet)
  }

  /// 2. From / Contact patterns, trunk group and test calls, when the
  ///    interconnect has validation settings.
  @inline(__always)
  func validate(_ invite: SIPMessage) throws(Refusal) {
    guard let validation = policy.validation else { return }
    if let failure = validation.check(validationInput(invite)) { throw .validation(failure) }
  }

  /// 5. The caller, picked from From / P-Asserted-Identity / Remote-Party-ID,
  ///    checked and translated by the global and origin rules.
  @inline(__always)
  func caller(_ invite: SIPMessage) throws(Refusal) -> CallerIdentity {
    if let retailCaller {
      // A softphone user presents its own number, whatever its From or
      // P-Asserted-Identity say (docs/softphones.md "Number presentation").
      let headers = CallerHeaders(
        fromUser: retailCaller.user.callerNumber?.number, paiUser: nil, rpidUser: nil,
        privacy: invite.privacyTokens)
      switch policy.translation.ingressCaller(headers) {
      case .reject(let reason): throw .caller(reason: reason)
      case .accept(var identity):
        identity.original = invite.fromURI?.user
        return identity
      }
    }
    let headers = CallerHeaders(
      fromUser: invite.fromURI?.user,
      paiUser: invite.headerValues("p-asserted-identity").first.flatMap(SIPMessage.userOfURIHeader),
      rpidUser: invite.headerValues("remote-party-id").first.flatMap(SIPMessage.userOfURIHeader),
      privacy: invite.privacyTokens)
    switch policy.translation.ingressCaller(headers) {
    case .reject(let reason): throw .caller(reason: reason)
    case .accept(let identity): return identity
    }
  }

  /// 5. The called number after the global and destination rules.
  var calledNumber: String { policy.translation.translateCalled(number) }

  private func validationInput(_ invite: SIPMessage) -> ValidationInput {
    let contact = invite.contactURI
    return ValidationInput(
      fromURI: invite.fromURI.map(ValidationInput.uriText) ?? "",
      contactURI: contact.map(ValidationInput.uriText),
      requestURIUser: requestUser, contactUser: contact?.user,
      contactParameters: contact?.parameters.map { (name: $0.name, value: $0.value) } ?? [],
      isTestCall: invite.headerValues("x-test-call").first.map(TestSystemControl.isTestCall(headerValue:))
        ?? false)
  }
}
