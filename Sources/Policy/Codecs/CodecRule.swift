/// A row of `interconnect_codecs`: whether one codec may be offered to or
/// answered by an interconnect, and how.
public struct CodecRule: Sendable, Equatable {
  /// `codec_name`: an RTP encoding name (`PCMU`, `PCMA`, `G729`, `G722`,
  /// `opus`, `telephone-event`, `CN` ...), compared without case against the
  /// `a=rtpmap` encoding name or, without one, the RFC 3551 static name.
  public var name: String
  /// `codec_id`: the payload type the operator pinned, as text. Informational:
  /// rules match by name.
  public var codecID: String?
  public var allowed: Bool
  /// `relay_only`: the codec may only pass through a media relay. The switch
  /// has none yet, so such a codec is treated as not allowed.
  public var relayOnly: Bool
  /// `vad`: for G729, whether Annex B (VAD/CNG) is used (`annexb=yes|no`).
  /// Informational for other codecs.
  public var vad: Bool
  /// `ptime`: the packetization time in milliseconds to ask for when this is
  /// the preferred codec.
  public var ptime: Int?
  /// `display_order`: kept codecs are listed by it, lowest first.
  public var displayOrder: Int

  public init(
    name: String, codecID: String? = nil, allowed: Bool = true, relayOnly: Bool = false, vad: Bool = false,
    ptime: Int? = nil, displayOrder: Int = 0
  ) {
    self.name = name
    self.codecID = codecID
    self.allowed = allowed
    self.relayOnly = relayOnly
    self.vad = vad
    self.ptime = ptime
    self.displayOrder = displayOrder
  }

  /// Whether the switch may let the codec through now: allowed and not
  /// relay-only (there is no media relay yet).
  public var isUsable: Bool { allowed && !relayOnly }

  /// Checks an operator's `codec_name` and `ptime`; `nil` when both are fine,
  /// else what is wrong, for the reload log.
  public static func validate(name: String, ptime: Int?) -> String? {
    if name.utf8.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) {
      return "codec_name is empty"
    }
    if !name.utf8.allSatisfy(isTokenCharacter) {
      return "codec_name \"\(name)\" is not an RTP encoding name (such as PCMU, G729, telephone-event)"
    }
    if let ptime, !(10...120).contains(ptime) || ptime % 10 != 0 {
      return "ptime \(ptime) is not a multiple of 10 between 10 and 120"
    }
    return nil
  }

  /// RFC 8866 `token-char`: encoding names are tokens (no space, no `/`).
  private static func isTokenCharacter(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
      UInt8(ascii: "A")...UInt8(ascii: "Z"):
      true
    default:
      "!#$%&'*+-.^_`{|}~".utf8.contains(byte)
    }
  }
}
