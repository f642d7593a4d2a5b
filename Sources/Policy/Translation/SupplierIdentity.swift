/// Column `privacy_method` of the egress interconnect's signalling settings:
/// how the caller's identity travels to that supplier.
public enum PrivacyMethod: String, Sendable, CaseIterable {
  /// An untrusted peer (RFC 3325 §5): no P-Asserted-Identity, Remote-Party-ID
  /// or Privacy header; the From is anonymised when privacy was requested.
  case none
  /// A trusted peer (NULL or blank): identity in P-Asserted-Identity, Privacy passed on.
  case pai
  /// A trusted peer that takes Remote-Party-ID instead of P-Asserted-Identity
  /// (`privacy=full` when privacy was requested).
  case rpid

  /// Reads the column; NULL or blank is `pai`. The error names the column and value.
  public static func parse(_ text: String?) throws(TranslationRuleError) -> PrivacyMethod {
    guard let text = text?.settingTrimmed(), !text.isEmpty else { return .pai }
    guard let method = PrivacyMethod(rawValue: text.lowercased()) else {
      throw TranslationRuleError(
        column: "privacy_method", problem: "unknown value '\(text)' (none, pai, rpid)")
    }
    return method
  }
}

/// What to do with one header of the forwarded INVITE.
public enum HeaderEdit: Sendable, Equatable {
  /// Leave it as received (absent stays absent).
  case keep
  /// Remove every instance.
  case remove
  /// Replace every instance by one whose URI user is this number.
  case set(String)
}

/// The identity headers of the INVITE sent to the supplier.
public struct IdentityHeaders: Sendable, Equatable {
  /// The From URI's user; nil leaves it as it is (it is nil when `anonymousFrom`).
  public var fromUser: String?
  /// From becomes `"Anonymous" <sip:anonymous@anonymous.invalid>` with its tag (RFC 3323 §4.1.1.3).
  public var anonymousFrom: Bool
  public var pai: HeaderEdit
  public var rpid: HeaderEdit
  public var privacy: HeaderEdit
  /// A Remote-Party-ID that is set carries `privacy=full` (else `privacy=off`).
  public var rpidPrivacyFull: Bool

  public init(
    fromUser: String?, anonymousFrom: Bool, pai: HeaderEdit, rpid: HeaderEdit, privacy: HeaderEdit,
    rpidPrivacyFull: Bool = false
  ) {
    self.fromUser = fromUser
    self.anonymousFrom = anonymousFrom
    self.pai = pai
    self.rpid = rpid
    self.privacy = privacy
    self.rpidPrivacyFull = rpidPrivacyFull
  }
}

/// The identity headers towards the supplier (docs/policy-translation.md, "Identity towards the supplier").
///
/// - `caller`: what `ingressCaller` produced (only `privacyRequested` is read here).
/// - `callerNumberForSupplier`: the caller number after the egress
///   interconnect's `translateCaller`; nil or empty when there is none.
/// - `setPAI`: the ingress interconnect's `set_pai_header`.
/// - `privacyMethod`: the egress interconnect's `privacy_method`.
/// - `hadPAI`: the received INVITE carried P-Asserted-Identity.
///
/// The From user carries the caller number unless the From is anonymised
/// (privacy requested, or no number). Towards an untrusted peer (`none`) no
/// identity header and no Privacy header is sent. Towards a trusted peer
/// (`pai`, `rpid`) the identity is asserted according to `setPAI` and the
/// Privacy header is passed on.
public func identityTowardsSupplier(
  caller: CallerIdentity, callerNumberForSupplier: String?, setPAI: PAIMode, privacyMethod: PrivacyMethod,
  hadPAI: Bool
) -> IdentityHeaders {
  let privacy: HeaderEdit = privacyMethod == .none ? .remove : .keep
  guard let number = callerNumberForSupplier, !number.isEmpty else {
    return IdentityHeaders(fromUser: nil, anonymousFrom: true, pai: .remove, rpid: .remove, privacy: privacy)
  }
  let hidden = caller.privacyRequested
  var headers = IdentityHeaders(
    fromUser: hidden ? nil : number, anonymousFrom: hidden, pai: .remove, rpid: .remove, privacy: privacy)
  switch privacyMethod {
  case .none:
    break
  case .pai:
    headers.pai =
      switch setPAI {
      case .keep: .keep
      case .add: hadPAI ? .keep : .set(number)
      case .replace: .set(number)
      case .remove: .remove
      }
  case .rpid:
    let asserted =
      switch setPAI {
      case .keep: hadPAI
      case .add, .replace: true
      case .remove: false
      }
    if asserted {
      headers.rpid = .set(number)
      headers.rpidPrivacyFull = hidden
    }
  }
  return headers
}
