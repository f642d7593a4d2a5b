import Testing

@testable import SIPCore

/// Joins lines with CRLF after each, as SDP is sent.
func sdpText(_ lines: [String]) -> String { lines.map { $0 + "\r\n" }.joined() }

struct SDPTests {
  static let offer = sdpText([
    "v=0",
    "o=alice 2890844526 2890844526 IN IP4 192.0.2.10",
    "s=-",
    "c=IN IP4 192.0.2.10",
    "t=0 0",
    "a=group:BUNDLE a",
    "m=audio 49170 RTP/AVP 0 8 18 101",
    "b=AS:64",
    "a=rtpmap:101 telephone-event/8000",
    "a=fmtp:101 0-16",
    "a=fmtp:18 annexb=no",
    "a=ptime:20",
    "a=sendrecv",
    "a=x-unknown:whatever it says",
    "m=video 51372/2 RTP/AVP 96",
    "a=rtpmap:96 H264/90000",
    "a=fmtp:96 profile-level-id=42e01f",
  ])

  @Test func parsesSessionAndMediaLines() throws {
    let sdp = try #require(SessionDescription(parsing: Self.offer))
    #expect(sdp.sessionLines.count == 6)
    #expect(sdp.sessionLines.first == "v=0")
    #expect(sdp.sessionLines.last == "a=group:BUNDLE a")
    #expect(sdp.media.count == 2)
    let audio = sdp.media[0]
    #expect(audio.type == "audio")
    #expect(audio.port == 49170)
    #expect(audio.portCount == nil)
    #expect(audio.proto == "RTP/AVP")
    #expect(audio.formats == ["0", "8", "18", "101"])
    #expect(audio.lines.count == 7)
    #expect(audio.lines.last == "a=x-unknown:whatever it says")
    let video = sdp.media[1]
    #expect(video.type == "video")
    #expect(video.port == 51372)
    #expect(video.portCount == 2)
    #expect(video.formats == ["96"])
    #expect(video.mLine == "m=video 51372/2 RTP/AVP 96")
  }

  @Test func serializesWhatItParsed() throws {
    let sdp = try #require(SessionDescription(parsing: Self.offer))
    #expect(sdp.text == Self.offer)
    #expect(sdp.bytes == Array(Self.offer.utf8))
    #expect(SessionDescription(bytes: sdp.bytes) == sdp)
  }

  @Test func acceptsLineFeedsAndWritesCRLF() throws {
    let lf = Self.offer.split(separator: "\r\n").joined(separator: "\n") + "\n"
    let sdp = try #require(SessionDescription(parsing: lf))
    #expect(sdp.text == Self.offer)
  }

  @Test func dropsEmptyLinesAndMissingFinalLineEnd() throws {
    let sdp = try #require(SessionDescription(parsing: "v=0\r\n\r\ns=-\r\nm=audio 4000 RTP/AVP 0"))
    #expect(sdp.text == "v=0\r\ns=-\r\nm=audio 4000 RTP/AVP 0\r\n")
  }

  @Test(arguments: [
    ("", "empty"),
    ("o=- 1 1 IN IP4 192.0.2.1\r\nv=0\r\n", "v= not first"),
    ("m=audio 4000 RTP/AVP 0\r\n", "m= first"),
    ("v=0\r\nthis is not sdp\r\n", "a line without type="),
    ("v=0\r\n=x\r\n", "empty type"),
    ("v=0\r\nm=audio\r\n", "m= without port"),
    ("v=0\r\nm=audio 4000\r\n", "m= without proto"),
    ("v=0\r\nm=audio x RTP/AVP 0\r\n", "port not a number"),
    ("v=0\r\nm=audio 70000 RTP/AVP 0\r\n", "port out of range"),
    ("v=0\r\nm=audio -1 RTP/AVP 0\r\n", "negative port"),
    ("v=0\r\nm=audio 4000/x RTP/AVP 0\r\n", "port count not a number"),
    ("<html>\r\n", "html"),
  ])
  func rejectsWhatIsNotSDP(text: String, why: String) {
    #expect(SessionDescription(parsing: text) == nil, "\(why)")
  }

  @Test func rejectsBytesThatAreNotUTF8() {
    #expect(SessionDescription(bytes: [0x76, 0x3D, 0x30, 0x0D, 0x0A, 0xFF, 0x3D, 0x0D, 0x0A]) == nil)
    #expect(SessionDescription(bytes: Array("v=0\r\ns=é\r\n".utf8))?.sessionLines == ["v=0", "s=é"])
  }

  @Test func rebuildsTheMLineFromItsFields() throws {
    var sdp = try #require(SessionDescription(parsing: "v=0\r\nm=audio  4000   RTP/AVP 0  8\r\n"))
    #expect(sdp.media[0].mLine == "m=audio 4000 RTP/AVP 0 8")
    sdp.media[0].port = 0
    sdp.media[0].formats = ["8"]
    #expect(sdp.text == "v=0\r\nm=audio 0 RTP/AVP 8\r\n")
    let empty = MediaDescription(type: "audio", port: 9, proto: "RTP/AVP", formats: [])
    #expect(empty.mLine == "m=audio 9 RTP/AVP")
  }

  @Test(arguments: [
    ("0", RTPMap(encodingName: "PCMU", clockRate: 8000)),
    ("8", RTPMap(encodingName: "PCMA", clockRate: 8000)),
    ("18", RTPMap(encodingName: "G729", clockRate: 8000)),
    ("101", RTPMap(encodingName: "telephone-event", clockRate: 8000)),
  ])
  func findsRtpmapOrStaticName(payloadType: String, expected: RTPMap) throws {
    let sdp = try #require(SessionDescription(parsing: Self.offer))
    #expect(sdp.media[0].rtpmap(for: payloadType) == expected)
  }

  @Test func explicitRtpmapWinsOverStaticAndDynamicNeedsOne() throws {
    let sdp = try #require(
      SessionDescription(
        parsing: sdpText([
          "v=0", "m=audio 4000 RTP/AVP 0 96 97 111 2",
          "a=rtpmap:0 pcmu/8000", "a=rtpmap:111 opus/48000/2", "a=rtpmap:97 broken",
        ])))
    let audio = sdp.media[0]
    #expect(audio.rtpmap(for: "0") == RTPMap(encodingName: "pcmu", clockRate: 8000))
    #expect(audio.rtpmap(for: "111") == RTPMap(encodingName: "opus", clockRate: 48000, channels: 2))
    #expect(audio.rtpmap(for: "111")?.text == "opus/48000/2")
    #expect(audio.rtpmap(for: "96") == nil)
    #expect(audio.rtpmap(for: "97") == nil)
    #expect(audio.rtpmap(for: "2") == nil)
    #expect(audio.rtpmap(for: "1") == nil)
  }

  @Test(arguments: [
    (0, "PCMU"), (3, "GSM"), (4, "G723"), (8, "PCMA"), (9, "G722"), (13, "CN"), (15, "G728"), (18, "G729"),
    (34, "H263"),
  ])
  func staticPayloadTypes(payloadType: Int, name: String) {
    #expect(RTPMap.staticPayloadType(payloadType)?.encodingName == name)
  }

  @Test(arguments: [1, 2, 19, 24, 27, 35, 96, -1])
  func unassignedStaticPayloadTypes(payloadType: Int) {
    #expect(RTPMap.staticPayloadType(payloadType) == nil)
  }

  @Test func readsFmtpAndPtime() throws {
    let sdp = try #require(SessionDescription(parsing: Self.offer))
    let audio = sdp.media[0]
    #expect(audio.fmtp(for: "18") == "annexb=no")
    #expect(audio.fmtp(for: "101") == "0-16")
    #expect(audio.fmtp(for: "10") == nil, "payload type 10 is not 101")
    #expect(audio.fmtp(for: "0") == nil)
    #expect(audio.ptime == 20)
    #expect(sdp.media[1].ptime == nil)
  }

  @Test func setPtimeReplacesTheFirstAndRemovesOthers() {
    var media = MediaDescription(
      type: "audio", port: 4000, proto: "RTP/AVP", formats: ["0"],
      lines: ["a=ptime:20", "a=sendrecv", "a=PTIME:30"])
    media.setPtime(30)
    #expect(media.lines == ["a=ptime:30", "a=sendrecv"])
    var bare = MediaDescription(
      type: "audio", port: 4000, proto: "RTP/AVP", formats: ["0"], lines: ["a=sendrecv"])
    bare.setPtime(20)
    #expect(bare.lines == ["a=sendrecv", "a=ptime:20"])
    #expect(bare.ptime == 20)
  }

  @Test func setFmtpReplacesOrInsertsAfterRtpmap() {
    var media = MediaDescription(
      type: "audio", port: 4000, proto: "RTP/AVP", formats: ["18", "101"],
      lines: ["a=rtpmap:18 G729/8000", "a=rtpmap:101 telephone-event/8000", "a=sendrecv"])
    media.setFmtp("annexb=no", for: "18")
    #expect(media.lines[1] == "a=fmtp:18 annexb=no")
    media.setFmtp("annexb=yes", for: "18")
    #expect(media.lines.filter { $0.hasPrefix("a=fmtp:18") } == ["a=fmtp:18 annexb=yes"])
    var bare = MediaDescription(type: "audio", port: 4000, proto: "RTP/AVP", formats: ["18"])
    bare.setFmtp("annexb=no", for: "18")
    #expect(bare.lines == ["a=fmtp:18 annexb=no"])
  }

  @Test func removeAttributesTouchesOnlyThatPayloadType() {
    var media = MediaDescription(
      type: "audio", port: 4000, proto: "RTP/AVPF", formats: ["96", "9", "101"],
      lines: [
        "a=rtpmap:96 opus/48000/2", "a=fmtp:96 useinbandfec=1", "a=rtcp-fb:96 nack", "a=rtcp-fb:* trr-int 5",
        "a=rtpmap:9 G722/8000", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-15",
      ])
    media.removeAttributes(of: "96")
    media.removeAttributes(of: "10")
    #expect(
      media.lines == [
        "a=rtcp-fb:* trr-int 5", "a=rtpmap:9 G722/8000", "a=rtpmap:101 telephone-event/8000",
        "a=fmtp:101 0-15",
      ])
    #expect(media.formats == ["96", "9", "101"])
  }
}
