import Policy

/// Reads the five interconnect settings tables into one `InterconnectPolicy`
/// per interconnect. Every value is parsed here (regular expressions
/// compiled, rule lists and JSON read), so a bad row fails the load with an
/// error naming its table and row, and the previous snapshot stays.
struct PolicyRows {
  let connection: PGConnection

  struct Loaded {
    var policies: [String: InterconnectPolicy] = [:]
    /// validation_settings.tech_prefix where not empty.
    var techPrefixes: [String: String] = [:]
  }

  func load() throws -> Loaded {
    var loaded = Loaded()
    try validation(&loaded)
    try translation(&loaded)
    try codecs(&loaded)
    try media(&loaded)
    try signalling(&loaded)
    return loaded
  }

  private func rows(_ query: PGQuery) throws -> PGResult { try connection.query(query) }

  /// Runs `read` on each row, with the row's interconnect id and typed fields;
  /// an error that is not already a `ReferenceDataError` is named after the row.
  private func each(
    _ result: PGResult, table: String, _ read: (String, Fields) throws -> Void
  ) throws {
    for row in 0..<result.rowCount {
      let owner = result.string(row, 0) ?? ""
      let id = result.string(row, 1) ?? ""
      let fields = Fields(table: table, id: id, result: result, row: row)
      do {
        try read(owner, fields)
      } catch let error as ReferenceDataError {
        throw error
      } catch {
        throw ReferenceDataError(table: table, rowID: id, problem: "\(error)")
      }
    }
  }

  private func validation(_ loaded: inout Loaded) throws {
    let result = try rows(
      """
      SELECT interconnect_id::text, id::text, tech_prefix, from_uri, contact_uri, trunk_group, max_cps,
             max_cps_enabled, max_cps_burst, test_system_control
      FROM interconnect_validation_settings ORDER BY interconnect_id
      """)
    try each(result, table: "interconnect_validation_settings") { owner, fields in
      if let prefix = fields.optionalText(2) {
        guard prefix.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "#" || $0 == "*") }) else {
          throw fields.fail(2, "is not digits, # or *: \(prefix)")
        }
        loaded.techPrefixes[owner] = prefix
      }
      let settings = try ValidationSettings.parse(
        fromURI: fields.optionalText(3), contactURI: fields.optionalText(4),
        trunkGroup: fields.optionalText(5), testSystemControl: fields.optionalText(9))
      loaded.policies[owner, default: InterconnectPolicy()].validation = settings
      loaded.policies[owner, default: InterconnectPolicy()].callRate = try fields.callRate(
        enabled: 7, rate: 6, burst: 8)
    }
  }

  private func translation(_ loaded: inout Loaded) throws {
    let result = try rows(
      """
      SELECT interconnect_id::text, id::text, origination_preference, origination_validation, set_pai_header,
             global_translation, origin_translation, destination_translation
      FROM interconnect_translation_settings ORDER BY interconnect_id
      """)
    try each(result, table: "interconnect_translation_settings") { owner, fields in
      loaded.policies[owner, default: InterconnectPolicy()].translation = try TranslationSettings.parse(
        originationPreference: fields.optionalText(2), originationValidation: fields.optionalText(3),
        setPAIHeader: fields.optionalText(4), global: fields.optionalText(5), origin: fields.optionalText(6),
        destination: fields.optionalText(7))
    }
  }

  private func codecs(_ loaded: inout Loaded) throws {
    let result = try rows(
      """
      SELECT interconnect_id::text, id::text, codec_name, codec_id, allowed, relay_only, vad, ptime, display_order
      FROM interconnect_codecs ORDER BY interconnect_id, display_order, codec_name
      """)
    var rules: [String: [CodecRule]] = [:]
    try each(result, table: "interconnect_codecs") { owner, fields in
      let name = try fields.text(2)
      let ptime = try fields.positiveInt(7)
      if let problem = CodecRule.validate(name: name, ptime: ptime) {
        throw fields.fail(2, problem)
      }
      rules[owner, default: []].append(
        CodecRule(
          name: name, codecID: fields.optionalText(3), allowed: fields.bool(4), relayOnly: fields.bool(5),
          vad: fields.bool(6), ptime: ptime, displayOrder: try fields.int(8) ?? 0))
    }
    for (owner, list) in rules {
      loaded.policies[owner, default: InterconnectPolicy()].codecs = CodecPolicy(rules: list)
    }
  }

  private func media(_ loaded: inout Loaded) throws {
    let result = try rows(
      """
      SELECT interconnect_id::text, id::text, dtmf_detection, media_relay, media_network, rtp_timeout,
             rtp_timeout_enabled
      FROM interconnect_media_settings ORDER BY interconnect_id
      """)
    try each(result, table: "interconnect_media_settings") { owner, fields in
      let timeout = try fields.positiveInt(5)
      loaded.policies[owner, default: InterconnectPolicy()].media = MediaSettings(
        dtmfDetection: try fields.optionalEnum(2), relay: try fields.optionalEnum(3),
        network: fields.optionalText(4), rtpTimeoutSeconds: fields.bool(6) ? timeout : nil)
    }
  }

  private func signalling(_ loaded: inout Loaded) throws {
    let result = try rows(
      """
      SELECT interconnect_id::text, id::text, privacy_method, session_timer_enabled, session_timer_interval,
             max_call_duration, max_call_duration_enabled, early_media_enabled, rel100_enabled,
             release_cause_mapping::text
      FROM interconnect_signalling_settings ORDER BY interconnect_id
      """)
    try each(result, table: "interconnect_signalling_settings") { owner, fields in
      let privacy: PrivacyMethod = try fields.optionalEnum(2) ?? .pai
      let settings = try SignallingSettings.parse(
        sessionTimerEnabled: fields.bool(3), sessionTimerInterval: try fields.int(4),
        maxCallDurationEnabled: fields.bool(6), maxCallDuration: try fields.int(5),
        earlyMediaEnabled: fields.bool(7), rel100Enabled: fields.bool(8),
        releaseCauseMapping: fields.optionalText(9))
      loaded.policies[owner, default: InterconnectPolicy()].signalling = settings
      loaded.policies[owner, default: InterconnectPolicy()].privacyMethod = privacy
    }
  }
}
