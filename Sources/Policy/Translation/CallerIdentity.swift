/// The caller-identity values the proxy reads from an initial INVITE.
public struct CallerHeaders: Sendable, Equatable {
  /// The user part of the From URI.
  public var fromUser: String?
  /// The user part of the first P-Asserted-Identity URI (sip: or tel:).
  public var paiUser: String?
  /// The user part of the Remote-Party-ID URI.
  public var rpidUser: String?
  /// Privacy header values as lower-cased tokens (RFC 3323 §4.2: id, header, user, session, none, critical).
  public var privacy: [String]

  public init(fromUser: String?, paiUser: String? = nil, rpidUser: String? = nil, privacy: [String] = []) {
    self.fromUser = fromUser
    self.paiUser = paiUser
    self.rpidUser = rpidUser
    self.privacy = privacy
  }

  /// The user of `source`; an empty user counts as absent.
  public func user(_ source: IdentitySource) -> String? {
    let user: String? =
      switch source {
      case .from: fromUser
      case .pai: paiUser
      case .rpid: rpidUser
      }
    guard let user, !user.isEmpty else { return nil }
    return user
  }

  /// The caller asked to hide its identity: Privacy `id` (RFC 3325 §9.3), `user` or
  /// `header` (RFC 3323 §4.2).
  public var privacyRequested: Bool {
    privacy.contains { $0 == "id" || $0 == "user" || $0 == "header" }
  }
}

/// The caller as the ingress side settled it.
public struct CallerIdentity: Sendable, Equatable {
  /// The user picked by `origination_preference`, as received.
  public var original: String?
  /// After validation and the global and origin rules; nil when there is none (stripped or absent).
  public var number: String?
  /// Privacy `id`, `user` or `header` was requested.
  public var privacyRequested: Bool

  public init(original: String?, number: String?, privacyRequested: Bool) {
    self.original = original
    self.number = number
    self.privacyRequested = privacyRequested
  }
}

/// The ingress verdict on the caller.
public enum CallerDecision: Sendable, Equatable {
  case accept(CallerIdentity)
  /// Refuse with 403 and this reason phrase.
  case reject(reason: String)
}

extension TranslationSettings {
  /// The 403 reason phrase of `origination_validation: reject`.
  public static let invalidCallerReason = "Invalid Caller Number"

  /// The ingress side of the caller number, with the settings of the
  /// interconnect the call came in on. Order: pick the caller (the first
  /// source of `originationPreference` present, else From) → normalise it
  /// (`callerNumber(fromUser:)`) → `originationValidation` → global rules →
  /// origin rules.
  public func ingressCaller(_ headers: CallerHeaders) -> CallerDecision {
    let original = originationPreference.lazy.compactMap { headers.user($0) }.first ?? headers.user(.from)
    var number = original.map(Self.callerNumber(fromUser:))
    if number?.isEmpty == true { number = nil }
    let valid = number.map { OriginationValidation.isE164Shaped($0) } ?? false
    if !valid {
      switch originationValidation {
      case .none: break
      case .reject: return .reject(reason: Self.invalidCallerReason)
      case .strip: number = nil
      case .replace(let replacement): number = replacement
      }
    }
    return .accept(
      CallerIdentity(
        original: original, number: number.map(translateCaller),
        privacyRequested: headers.privacyRequested))
  }

  /// A URI user part as a number: user parameters (`;npdi`, `;rn=...`,
  /// `;tgrp=...`) removed, `%XX` escapes decoded, and, when what is left is a
  /// telephone number (only digits, `+`, `*`, `#` and the RFC 3966 visual
  /// separators `-` `.` `(` `)`), the separators removed. Any other user
  /// (`anonymous`, `alice.smith`) is returned as it is after the first two steps.
  public static func callerNumber(fromUser user: String) -> String {
    let decoded = percentDecoded(numberWithoutUserParameters(user))
    let isTelephoneNumber = decoded.utf8.allSatisfy {
      (0x30...0x39).contains($0) || $0 == 0x2B || $0 == 0x2A || $0 == 0x23 || $0 == 0x2D || $0 == 0x2E
        || $0 == 0x28 || $0 == 0x29
    }
    guard isTelephoneNumber else { return decoded }
    return String(decoded.filter { $0 != "-" && $0 != "." && $0 != "(" && $0 != ")" })
  }

  private static func percentDecoded(_ text: String) -> String {
    guard text.utf8.contains(0x25) else { return text }
    var bytes: [UInt8] = []
    var iterator = Array(text.utf8)[...]
    while let byte = iterator.popFirst() {
      if byte == 0x25, iterator.count >= 2, let high = hexValue(iterator[iterator.startIndex]),
        let low = hexValue(iterator[iterator.startIndex + 1])
      {
        bytes.append(high << 4 | low)
        iterator = iterator.dropFirst(2)
      } else {
        bytes.append(byte)
      }
    }
    return String(validating: bytes, as: UTF8.self) ?? text
  }

  private static func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case 0x30...0x39: byte - 0x30
    case 0x41...0x46: byte - 0x41 + 10
    case 0x61...0x66: byte - 0x61 + 10
    default: nil
    }
  }
}
