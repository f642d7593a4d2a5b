/// What an `a=rtpmap` attribute says about one payload type (RFC 8866 §6.6):
/// `a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>]`.
public struct RTPMap: Sendable, Equatable {
  /// As written, e.g. `PCMU`, `opus`, `telephone-event`.
  public var encodingName: String
  public var clockRate: Int
  /// The encoding parameters; for audio, the number of channels.
  public var channels: Int?

  public init(encodingName: String, clockRate: Int, channels: Int? = nil) {
    self.encodingName = encodingName
    self.clockRate = clockRate
    self.channels = channels
  }

  /// Parses the value after `a=rtpmap:<payload type> `; `nil` when malformed.
  init?(encoding text: Substring) {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2 || parts.count == 3, !parts[0].isEmpty,
      let clockRate = Int(parts[1]), clockRate > 0
    else { return nil }
    var channels: Int?
    if parts.count == 3 {
      guard let count = Int(parts[2]) else { return nil }
      channels = count
    }
    self.init(encodingName: String(parts[0]), clockRate: clockRate, channels: channels)
  }

  /// `<encoding name>/<clock rate>[/<channels>]`.
  public var text: String {
    channels.map { "\(encodingName)/\(clockRate)/\($0)" } ?? "\(encodingName)/\(clockRate)"
  }

  /// The static payload types of RFC 3551 §6 (tables 4 and 5), used when a
  /// media description lists one without an `a=rtpmap` line. Payload types
  /// 1, 2, 19-24, 27, 29 and 30 are reserved or unassigned.
  public static func staticPayloadType(_ payloadType: Int) -> RTPMap? {
    switch payloadType {
    case 0: RTPMap(encodingName: "PCMU", clockRate: 8000)
    case 3: RTPMap(encodingName: "GSM", clockRate: 8000)
    case 4: RTPMap(encodingName: "G723", clockRate: 8000)
    case 5: RTPMap(encodingName: "DVI4", clockRate: 8000)
    case 6: RTPMap(encodingName: "DVI4", clockRate: 16000)
    case 7: RTPMap(encodingName: "LPC", clockRate: 8000)
    case 8: RTPMap(encodingName: "PCMA", clockRate: 8000)
    case 9: RTPMap(encodingName: "G722", clockRate: 8000)
    case 10: RTPMap(encodingName: "L16", clockRate: 44100, channels: 2)
    case 11: RTPMap(encodingName: "L16", clockRate: 44100)
    case 12: RTPMap(encodingName: "QCELP", clockRate: 8000)
    case 13: RTPMap(encodingName: "CN", clockRate: 8000)
    case 14: RTPMap(encodingName: "MPA", clockRate: 90000)
    case 15: RTPMap(encodingName: "G728", clockRate: 8000)
    case 16: RTPMap(encodingName: "DVI4", clockRate: 11025)
    case 17: RTPMap(encodingName: "DVI4", clockRate: 22050)
    case 18: RTPMap(encodingName: "G729", clockRate: 8000)
    case 25: RTPMap(encodingName: "CelB", clockRate: 90000)
    case 26: RTPMap(encodingName: "JPEG", clockRate: 90000)
    case 28: RTPMap(encodingName: "nv", clockRate: 90000)
    case 31: RTPMap(encodingName: "H261", clockRate: 90000)
    case 32: RTPMap(encodingName: "MPV", clockRate: 90000)
    case 33: RTPMap(encodingName: "MP2T", clockRate: 90000)
    case 34: RTPMap(encodingName: "H263", clockRate: 90000)
    default: nil
    }
  }
}
