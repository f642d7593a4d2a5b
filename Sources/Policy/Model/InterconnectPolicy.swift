/// Everything an interconnect's settings rows say about its calls, parsed
/// and checked when the snapshot loads (seed 001's validation, translation,
/// codec, media and signalling settings). An interconnect without rows gets
/// `InterconnectPolicy()`: no checks, no translation, every codec, early
/// media on, 100rel allowed, no timers.
public struct InterconnectPolicy: Sendable {
  /// From/Contact patterns, trunk group, test calls; nil = no checks.
  public var validation: ValidationSettings?
  /// The interconnect's CPS limit (`max_cps` when `max_cps_enabled`).
  public var callRate: CallRateLimit?
  public var translation: TranslationSettings
  public var codecs: CodecPolicy
  public var signalling: SignallingSettings
  /// How caller identity and privacy are conveyed to this peer.
  public var privacyMethod: PrivacyMethod
  /// Stored and loaded; inert until a media relay is integrated.
  public var media: MediaSettings

  public init(
    validation: ValidationSettings? = nil, callRate: CallRateLimit? = nil,
    translation: TranslationSettings = TranslationSettings(), codecs: CodecPolicy = CodecPolicy(rules: []),
    signalling: SignallingSettings = .defaults, privacyMethod: PrivacyMethod = .pai,
    media: MediaSettings = MediaSettings()
  ) {
    self.validation = validation
    self.callRate = callRate
    self.translation = translation
    self.codecs = codecs
    self.signalling = signalling
    self.privacyMethod = privacyMethod
    self.media = media
  }
}

/// A CPS limit: `rate` new calls per second, up to `burst` at once.
public struct CallRateLimit: Sendable, Equatable {
  public var rate: Int
  public var burst: Int

  public init(rate: Int, burst: Int? = nil) {
    self.rate = rate
    self.burst = burst ?? rate
  }
}

/// A row of `interconnect_media_settings`. Without a media relay the switch
/// never touches RTP, so these are kept for the relay a later issue brings:
/// `rtp_timeout` (end calls whose RTP stopped) and `media_relay` need it.
public struct MediaSettings: Sendable, Equatable {
  public enum DTMFDetection: String, Sendable, CaseIterable {
    case rfc2833
    case sipInfo = "sip_info"
    case inband
    case auto
  }

  public enum Relay: String, Sendable, CaseIterable {
    case off
    case on
    case auto
  }

  public var dtmfDetection: DTMFDetection?
  public var relay: Relay?
  public var network: String?
  /// Seconds without RTP before a call is ended (when enabled).
  public var rtpTimeoutSeconds: Int?

  public init(
    dtmfDetection: DTMFDetection? = nil, relay: Relay? = nil, network: String? = nil,
    rtpTimeoutSeconds: Int? = nil
  ) {
    self.dtmfDetection = dtmfDetection
    self.relay = relay
    self.network = network
    self.rtpTimeoutSeconds = rtpTimeoutSeconds
  }
}
