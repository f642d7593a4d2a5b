import SIPCore
import Testing

@testable import Policy

private let session = ["v=0", "o=- 1 1 IN IP4 192.0.2.10", "s=-", "c=IN IP4 192.0.2.10", "t=0 0"]

private func sdp(_ mediaLines: [String]) -> SessionDescription {
  SessionDescription(parsing: (session + mediaLines).map { $0 + "\r\n" }.joined())!
}

/// The lines of a rewritten SDP; `nil` for any other decision.
private func lines(_ decision: CodecDecision) -> [String]? {
  guard case .rewritten(let description) = decision else { return nil }
  return description.text.split(separator: "\r\n").map(String.init)
}

private func rule(
  _ name: String, allowed: Bool = true, relayOnly: Bool = false, vad: Bool = false, ptime: Int? = nil,
  order: Int = 0
) -> CodecRule {
  CodecRule(name: name, allowed: allowed, relayOnly: relayOnly, vad: vad, ptime: ptime, displayOrder: order)
}

struct CodecCase: CustomTestStringConvertible, Sendable {
  enum Expected: Sendable {
    case unchanged
    case rewritten([String])
    case noCommonCodec
  }
  let testDescription: String
  let rules: [CodecRule]
  let media: [String]
  let expected: Expected

  init(_ name: String, _ rules: [CodecRule], _ media: [String], _ expected: Expected) {
    self.testDescription = name
    self.rules = rules
    self.media = media
    self.expected = expected
  }
}

struct CodecPolicyTests {
  static let offerCases: [CodecCase] = [
    CodecCase(
      "empty rules pass everything", [],
      ["m=audio 4000 RTP/AVP 0 8 18 96", "a=rtpmap:96 AMR/8000"], .unchanged),
    CodecCase(
      "every codec allowed, nothing to change", [rule("PCMU"), rule("PCMA")],
      ["m=audio 4000 RTP/AVP 0 8", "a=ptime:20"], .unchanged),
    CodecCase(
      "a disallowed codec is removed", [rule("PCMU", allowed: false), rule("PCMA")],
      ["m=audio 4000 RTP/AVP 0 8", "a=sendrecv"],
      .rewritten(["m=audio 4000 RTP/AVP 8", "a=sendrecv"])),
    CodecCase(
      "a codec without a rule is removed with its rtpmap and fmtp", [rule("PCMU")],
      [
        "m=audio 4000 RTP/AVP 0 18 96", "a=rtpmap:18 G729/8000", "a=fmtp:18 annexb=no",
        "a=rtpmap:96 iLBC/8000", "a=fmtp:96 mode=30", "a=sendrecv",
      ],
      .rewritten(["m=audio 4000 RTP/AVP 0", "a=sendrecv"])),
    CodecCase(
      "display order sorts the kept codecs",
      [rule("PCMA", order: 1), rule("PCMU", order: 2), rule("G729", vad: true, order: 0)],
      ["m=audio 4000 RTP/AVP 0 8 18", "a=fmtp:18 annexb=yes"],
      .rewritten(["m=audio 4000 RTP/AVP 18 8 0", "a=fmtp:18 annexb=yes"])),
    CodecCase(
      "equal display order keeps the offer's order", [rule("PCMA"), rule("PCMU"), rule("G722")],
      ["m=audio 4000 RTP/AVP 9 0 8"], .unchanged),
    CodecCase(
      "ptime of the first codec replaces the offer's", [rule("PCMA", ptime: 30), rule("PCMU", ptime: 20)],
      ["m=audio 4000 RTP/AVP 8 0", "a=ptime:20", "a=sendrecv", "a=ptime:40"],
      .rewritten(["m=audio 4000 RTP/AVP 8 0", "a=ptime:30", "a=sendrecv"])),
    CodecCase(
      "ptime is added when the offer has none", [rule("PCMU", ptime: 20)],
      ["m=audio 4000 RTP/AVP 0", "a=sendrecv"],
      .rewritten(["m=audio 4000 RTP/AVP 0", "a=sendrecv", "a=ptime:20"])),
    CodecCase(
      "ptime follows the codec put first by display order",
      [rule("PCMU", ptime: 20, order: 2), rule("PCMA", ptime: 40, order: 1)],
      ["m=audio 4000 RTP/AVP 0 8", "a=ptime:20"],
      .rewritten(["m=audio 4000 RTP/AVP 8 0", "a=ptime:40"])),
    CodecCase(
      "no ptime on the first codec leaves the offer's ptime",
      [rule("PCMU", ptime: 30, order: 1), rule("PCMA", order: 0)],
      ["m=audio 4000 RTP/AVP 0 8", "a=ptime:20"],
      .rewritten(["m=audio 4000 RTP/AVP 8 0", "a=ptime:20"])),
    CodecCase(
      "ptime comes from the first voice codec, not telephone-event",
      [rule("telephone-event", ptime: 10, order: 0), rule("PCMA", ptime: 30, order: 1)],
      ["m=audio 4000 RTP/AVP 101 8", "a=rtpmap:101 telephone-event/8000"],
      .rewritten(["m=audio 4000 RTP/AVP 101 8", "a=rtpmap:101 telephone-event/8000", "a=ptime:30"])),
    CodecCase(
      "telephone-event stays when a rule allows it", [rule("PCMA"), rule("telephone-event")],
      ["m=audio 4000 RTP/AVP 0 8 101", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-16"],
      .rewritten(["m=audio 4000 RTP/AVP 8 101", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-16"])),
    CodecCase(
      "telephone-event goes without a rule", [rule("PCMA")],
      ["m=audio 4000 RTP/AVP 8 101", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-16", "a=sendrecv"],
      .rewritten(["m=audio 4000 RTP/AVP 8", "a=sendrecv"])),
    CodecCase(
      "telephone-event disallowed by its rule goes", [rule("PCMA"), rule("TELEPHONE-EVENT", allowed: false)],
      ["m=audio 4000 RTP/AVP 8 101", "a=rtpmap:101 telephone-event/8000"],
      .rewritten(["m=audio 4000 RTP/AVP 8"])),
    CodecCase(
      "static comfort noise without a rule goes", [rule("PCMU")],
      ["m=audio 4000 RTP/AVP 0 13"], .rewritten(["m=audio 4000 RTP/AVP 0"])),
    CodecCase(
      "static comfort noise with a rule stays", [rule("PCMU"), rule("CN")],
      ["m=audio 4000 RTP/AVP 0 13"], .unchanged),
    CodecCase(
      "static payload types match by their RFC 3551 names, without case",
      [rule("pcma", order: 0), rule("g722", order: 1)],
      ["m=audio 4000 RTP/AVP 9 3 8 4"], .rewritten(["m=audio 4000 RTP/AVP 8 9"])),
    CodecCase(
      "a dynamic payload type without rtpmap matches nothing", [rule("PCMU"), rule("opus")],
      ["m=audio 4000 RTP/AVP 111 0"], .rewritten(["m=audio 4000 RTP/AVP 0"])),
    CodecCase(
      "rtpmap names match without case, rtcp-fb of removed types goes", [rule("OPUS"), rule("pcmu")],
      [
        "m=audio 4000 RTP/AVPF 111 9 0", "a=rtpmap:111 opus/48000/2", "a=fmtp:111 useinbandfec=1",
        "a=rtcp-fb:111 nack", "a=rtcp-fb:9 nack", "a=rtcp-fb:* trr-int 5",
      ],
      .rewritten([
        "m=audio 4000 RTP/AVPF 111 0", "a=rtpmap:111 opus/48000/2", "a=fmtp:111 useinbandfec=1",
        "a=rtcp-fb:111 nack", "a=rtcp-fb:* trr-int 5",
      ])),
    CodecCase(
      "an SDP without audio is left alone", [rule("PCMU")],
      ["m=video 5000 RTP/AVP 96", "a=rtpmap:96 H264/90000"], .unchanged),
    CodecCase("an SDP without media is left alone", [rule("PCMU")], [], .unchanged),
    CodecCase(
      "two audio streams and video: each audio filtered, video untouched", [rule("PCMA"), rule("G722")],
      [
        "m=audio 4000 RTP/AVP 0 18", "a=fmtp:18 annexb=no", "a=sendrecv",
        "m=video 5000 RTP/AVP 96 0", "a=rtpmap:96 H264/90000",
        "m=audio 6000 RTP/AVP 9 0 8", "a=ptime:20",
      ],
      .rewritten([
        "m=audio 0 RTP/AVP 0", "a=sendrecv",
        "m=video 5000 RTP/AVP 96 0", "a=rtpmap:96 H264/90000",
        "m=audio 6000 RTP/AVP 9 8", "a=ptime:20",
      ])),
    CodecCase(
      "T.38 image stream untouched", [rule("PCMA")],
      ["m=audio 4000 RTP/AVP 0 8", "m=image 4002 udptl t38", "a=T38FaxVersion:0"],
      .rewritten(["m=audio 4000 RTP/AVP 8", "m=image 4002 udptl t38", "a=T38FaxVersion:0"])),
    CodecCase(
      "all codecs removed", [rule("PCMA")],
      ["m=audio 4000 RTP/AVP 0 18 101", "a=rtpmap:101 telephone-event/8000"], .noCommonCodec),
    CodecCase(
      "every rule disallowed", [rule("PCMU", allowed: false), rule("PCMA", allowed: false)],
      ["m=audio 4000 RTP/AVP 0 8"], .noCommonCodec),
    CodecCase(
      "only telephone-event and CN left is no common codec",
      [rule("PCMA"), rule("telephone-event"), rule("CN")],
      ["m=audio 4000 RTP/AVP 0 13 101", "a=rtpmap:101 telephone-event/8000"], .noCommonCodec),
    CodecCase(
      "two audio streams, both without a common codec", [rule("G722")],
      ["m=audio 4000 RTP/AVP 0", "m=audio 4002 RTP/AVP 8"], .noCommonCodec),
    CodecCase(
      "relay-only codec is removed", [rule("PCMA"), rule("G722", relayOnly: true)],
      ["m=audio 4000 RTP/AVP 9 8"], .rewritten(["m=audio 4000 RTP/AVP 8"])),
    CodecCase(
      "relay-only as the only codec is no common codec", [rule("G722", relayOnly: true)],
      ["m=audio 4000 RTP/AVP 9"], .noCommonCodec),
    CodecCase(
      "G729 without VAD gets annexb=no", [rule("G729")],
      ["m=audio 4000 RTP/AVP 18", "a=sendrecv"],
      .rewritten(["m=audio 4000 RTP/AVP 18", "a=sendrecv", "a=fmtp:18 annexb=no"])),
    CodecCase(
      "G729 with VAD gets annexb=yes in place of no", [rule("G729", vad: true)],
      ["m=audio 4000 RTP/AVP 18", "a=rtpmap:18 G729/8000", "a=fmtp:18 annexb=no"],
      .rewritten(["m=audio 4000 RTP/AVP 18", "a=rtpmap:18 G729/8000", "a=fmtp:18 annexb=yes"])),
    CodecCase(
      "G729 annexb already right is unchanged", [rule("G729")],
      ["m=audio 4000 RTP/AVP 18", "a=fmtp:18 annexb=no"], .unchanged),
    CodecCase(
      "G729 annexb replaced among other parameters; a repeated name uses its first rule",
      [rule("g729"), rule("G729", vad: true)],
      ["m=audio 4000 RTP/AVP 98", "a=rtpmap:98 G729/8000", "a=fmtp:98 bitrate=8; ANNEXB=yes", "a=ptime:20"],
      .rewritten([
        "m=audio 4000 RTP/AVP 98", "a=rtpmap:98 G729/8000", "a=fmtp:98 bitrate=8; annexb=no", "a=ptime:20",
      ])),
    CodecCase(
      "VAD is informational for other codecs", [rule("PCMU", vad: true)],
      ["m=audio 4000 RTP/AVP 0"], .unchanged),
    CodecCase(
      "an already rejected audio stream is left alone", [rule("PCMA")],
      ["m=audio 0 RTP/AVP 0", "m=audio 4000 RTP/AVP 8"], .unchanged),
    CodecCase(
      "only rejected audio streams: nothing to filter", [rule("PCMA")],
      ["m=audio 0 RTP/AVP 0"], .unchanged),
    CodecCase(
      "audio that is not RTP is left alone", [rule("PCMA")],
      ["m=audio 4000 TCP/MSRP *"], .unchanged),
    CodecCase(
      "secure RTP profiles are filtered too", [rule("PCMA")],
      [
        "m=audio 4000 RTP/SAVP 0 8",
        "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz",
      ],
      .rewritten([
        "m=audio 4000 RTP/SAVP 8",
        "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz",
      ])),
  ]

  @Test(arguments: offerCases)
  func filterOffer(_ testCase: CodecCase) {
    let decision = CodecPolicy(rules: testCase.rules).filterOffer(sdp(testCase.media))
    check(decision, testCase.expected)
  }

  static let answerCases: [CodecCase] = [
    CodecCase(
      "an answer with one allowed codec is unchanged", [rule("PCMA"), rule("PCMU")],
      ["m=audio 5000 RTP/AVP 8"], .unchanged),
    CodecCase(
      "an answer listing several codecs keeps the allowed ones", [rule("PCMA"), rule("telephone-event")],
      ["m=audio 5000 RTP/AVP 0 8 101", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-15"],
      .rewritten(["m=audio 5000 RTP/AVP 8 101", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-15"])),
    CodecCase(
      "an answer with a disallowed codec is no common codec", [rule("PCMA")],
      ["m=audio 5000 RTP/AVP 18"], .noCommonCodec),
    CodecCase(
      "an answer that rejected audio is left alone", [rule("PCMA")],
      ["m=audio 0 RTP/AVP 0"], .unchanged),
    CodecCase(
      "an answer gets the preferred codec's ptime", [rule("PCMA", ptime: 20)],
      ["m=audio 5000 RTP/AVP 8", "a=ptime:30"], .rewritten(["m=audio 5000 RTP/AVP 8", "a=ptime:20"])),
  ]

  @Test(arguments: answerCases)
  func filterAnswer(_ testCase: CodecCase) {
    let decision = CodecPolicy(rules: testCase.rules).filterAnswer(sdp(testCase.media))
    check(decision, testCase.expected)
  }

  private func check(_ decision: CodecDecision, _ expected: CodecCase.Expected) {
    switch expected {
    case .unchanged:
      #expect(decision == .unchanged)
    case .noCommonCodec:
      #expect(decision == .noCommonCodec(reason: "No Common Codec"))
    case .rewritten(let media):
      #expect(lines(decision) == session + media)
    }
  }

  @Test func aRewrittenOfferParsesBackToItself() throws {
    let decision = CodecPolicy(rules: [rule("PCMA", ptime: 20)]).filterOffer(
      sdp(["m=audio 4000 RTP/AVP 0 8", "a=rtpmap:0 PCMU/8000"]))
    guard case .rewritten(let description) = decision else {
      Issue.record("expected a rewrite, got \(decision)")
      return
    }
    #expect(SessionDescription(bytes: description.bytes) == description)
    #expect(description.media[0].formats == ["8"])
    #expect(description.media[0].ptime == 20)
  }

  @Test func emptyPolicy() {
    #expect(CodecPolicy(rules: []).isEmpty)
    #expect(!CodecPolicy(rules: [rule("PCMU")]).isEmpty)
  }

  @Test func aRepeatedNameUsesItsFirstRule() {
    let policy = CodecPolicy(rules: [rule("PCMU", allowed: false), rule("pcmu")])
    #expect(policy.rule(named: "Pcmu")?.allowed == false)
    #expect(policy.filterOffer(sdp(["m=audio 4000 RTP/AVP 0"])) == .noCommonCodec(reason: "No Common Codec"))
  }

  @Test func codecIDIsInformational() {
    let pinned = CodecRule(name: "telephone-event", codecID: "101")
    let policy = CodecPolicy(rules: [rule("PCMA"), pinned])
    let decision = policy.filterOffer(sdp(["m=audio 4000 RTP/AVP 8 96", "a=rtpmap:96 telephone-event/8000"]))
    #expect(decision == .unchanged)
  }

  @Test(
    arguments: [
      ("PCMU", nil, nil),
      ("telephone-event", 20, nil),
      ("G729", 10, nil),
      ("opus", 120, nil),
      ("", nil, "codec_name is empty"),
      ("  ", nil, "codec_name is empty"),
      (
        "PCMU/8000", nil,
        "codec_name \"PCMU/8000\" is not an RTP encoding name (such as PCMU, G729, telephone-event)"
      ),
      (
        "G 729", nil, "codec_name \"G 729\" is not an RTP encoding name (such as PCMU, G729, telephone-event)"
      ),
      ("PCMA", 7, "ptime 7 is not a multiple of 10 between 10 and 120"),
      ("PCMA", 0, "ptime 0 is not a multiple of 10 between 10 and 120"),
      ("PCMA", 25, "ptime 25 is not a multiple of 10 between 10 and 120"),
      ("PCMA", 130, "ptime 130 is not a multiple of 10 between 10 and 120"),
      ("PCMA", -20, "ptime -20 is not a multiple of 10 between 10 and 120"),
    ] as [(String, Int?, String?)])
  func validate(name: String, ptime: Int?, problem: String?) {
    #expect(CodecRule.validate(name: name, ptime: ptime) == problem)
  }
}
