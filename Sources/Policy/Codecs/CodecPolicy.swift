import SIPCore

/// An interconnect's codec rules applied to SDP (docs/policy-codecs.md).
///
/// Once an interconnect has any rule, its rules are an allow-list: on every
/// active RTP audio stream only codecs whose rule is usable are kept, in the
/// rules' display order. Other media (video, T.38 `image`, ...) pass untouched.
public struct CodecPolicy: Sendable, Equatable {
  public let rules: [CodecRule]
  /// Lower-cased rule name to the index of its first rule.
  private let index: [String: Int]

  /// `rules` empty: no policy, every SDP passes unchanged.
  public init(rules: [CodecRule]) {
    self.rules = rules
    var index: [String: Int] = [:]
    for (position, rule) in rules.enumerated() where index[rule.name.lowercased()] == nil {
      index[rule.name.lowercased()] = position
    }
    self.index = index
  }

  public var isEmpty: Bool { rules.isEmpty }

  /// The rule for an encoding name (without case); the first one if the rows repeat a name.
  public func rule(named encodingName: String) -> CodecRule? {
    index[encodingName.lowercased()].map { rules[$0] }
  }

  /// Filters an offer before it is sent on.
  public func filterOffer(_ offer: SessionDescription) -> CodecDecision {
    filter(offer)
  }

  /// Filters an answer the same way (an answerer may list several codecs).
  public func filterAnswer(_ answer: SessionDescription) -> CodecDecision {
    filter(answer)
  }

  /// The reason phrase of `.noCommonCodec`.
  public static let noCommonCodecReason = "No Common Codec"

  // MARK: Private

  private func filter(_ description: SessionDescription) -> CodecDecision {
    guard !rules.isEmpty else { return .unchanged }
    var result = description
    var hadActiveAudio = false
    var activeAudioRemains = false
    for position in result.media.indices where Self.isFiltered(result.media[position]) {
      hadActiveAudio = true
      if filterAudio(&result.media[position]) { activeAudioRemains = true }
    }
    if hadActiveAudio && !activeAudioRemains {
      return .noCommonCodec(reason: Self.noCommonCodecReason)
    }
    return result == description ? .unchanged : .rewritten(result)
  }

  /// An active RTP audio stream. Port 0 streams are already rejected; other
  /// protocols carry no payload types.
  private static func isFiltered(_ media: MediaDescription) -> Bool {
    media.port != 0 && media.type.lowercased() == "audio" && media.proto.uppercased().contains("RTP/")
  }

  private struct KeptFormat {
    var format: String
    var position: Int
    var rule: CodecRule
  }

  /// Keeps the usable formats of one audio stream; rejects the stream (port 0)
  /// and returns `false` when no voice codec is left.
  private func filterAudio(_ media: inout MediaDescription) -> Bool {
    var kept: [KeptFormat] = []
    for (position, format) in media.formats.enumerated() {
      guard let name = media.rtpmap(for: format)?.encodingName, let rule = rule(named: name), rule.isUsable
      else { continue }
      kept.append(KeptFormat(format: format, position: position, rule: rule))
    }
    kept.sort { ($0.rule.displayOrder, $0.position) < ($1.rule.displayOrder, $1.position) }
    guard let preferred = kept.first(where: { !Self.isAuxiliary($0.rule.name) }) else {
      // RFC 3264 §6: a rejected stream has port 0 and still lists a format.
      let first = media.formats.first.map { [$0] } ?? []
      for format in media.formats.dropFirst() { media.removeAttributes(of: format) }
      media.formats = first
      media.port = 0
      return false
    }
    let keptFormats = kept.map(\.format)
    for format in media.formats where !keptFormats.contains(format) { media.removeAttributes(of: format) }
    media.formats = keptFormats
    if let ptime = preferred.rule.ptime { media.setPtime(ptime) }
    for format in kept where format.rule.name.lowercased() == "g729" {
      let parameters = Self.settingAnnexB(format.rule.vad, in: media.fmtp(for: format.format))
      if parameters != media.fmtp(for: format.format) { media.setFmtp(parameters, for: format.format) }
    }
    return true
  }

  /// RFC 4733 events and RFC 3389 comfort noise travel beside a voice codec,
  /// never instead of one.
  private static func isAuxiliary(_ name: String) -> Bool {
    let lower = name.lowercased()
    return lower == "telephone-event" || lower == "cn"
  }

  /// G.729 fmtp parameters with `annexb` set (RFC 4856, formerly RFC 3555; absent means
  /// `yes`). Other parameters keep their text.
  private static func settingAnnexB(_ vad: Bool, in parameters: String?) -> String {
    let value = "annexb=" + (vad ? "yes" : "no")
    guard let parameters, !parameters.isEmpty else { return value }
    var pieces = parameters.split(separator: ";", omittingEmptySubsequences: false).map(String.init)
    if let position = pieces.firstIndex(where: { Self.parameterName($0) == "annexb" }) {
      let leading = pieces[position].prefix { $0 == " " || $0 == "\t" }
      if Self.parameterValue(pieces[position]) == (vad ? "yes" : "no") { return parameters }
      pieces[position] = leading + value
    } else {
      pieces.append(value)
    }
    return pieces.joined(separator: ";")
  }

  private static func parameterName(_ piece: String) -> String {
    let name = piece.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)[0]
    return name.filter { $0 != " " && $0 != "\t" }.lowercased()
  }

  private static func parameterValue(_ piece: String) -> String {
    let parts = piece.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
    guard parts.count == 2 else { return "" }
    return parts[1].filter { $0 != " " && $0 != "\t" }.lowercased()
  }
}
