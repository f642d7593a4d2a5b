import Testing

@testable import SIPCore

/// Every RFC 4475 message, decoded as one UDP datagram, gets the outcome its
/// manifest row asks for (MANIFEST.tsv `expected`).
struct RFC4475Tests {
  enum Outcome: Equatable, CustomStringConvertible {
    case request, response, reject(Int), drop
    var description: String {
      switch self {
      case .request: "request"
      case .response: "response"
      case .reject(let status): "reject \(status)"
      case .drop: "drop"
      }
    }
  }

  /// What the decoder does with each message. Messages it passes on as
  /// `request` are handled further by the proxy core (483, 501, registrar...).
  static let expected: [String: Outcome] = [
    // §3.1.1 valid
    "wsinv.dat": .request, "intmeth.dat": .request, "esc01.dat": .request, "escnull.dat": .request,
    "esc02.dat": .request, "lwsdisp.dat": .request, "longreq.dat": .request, "dblreq.dat": .request,
    "semiuri.dat": .request, "transports.dat": .request, "mpart01.dat": .request,
    "unreason.dat": .response, "noreason.dat": .response, "inv2543.dat": .request,
    // §3.1.2 invalid
    "badinv01.dat": .reject(400), "clerr.dat": .reject(400), "ncl.dat": .reject(400),
    "scalar02.dat": .reject(400), "scalarlg.dat": .drop, "quotbal.dat": .reject(400),
    "ltgtruri.dat": .reject(400), "lwsruri.dat": .reject(400), "lwsstart.dat": .reject(400),
    "trws.dat": .reject(400), "escruri.dat": .reject(400), "baddate.dat": .request,
    "regbadct.dat": .request, "badaspec.dat": .reject(400), "baddn.dat": .reject(400),
    "badvers.dat": .reject(505), "mismatch01.dat": .reject(400), "mismatch02.dat": .reject(501),
    "bigcode.dat": .drop,
    // §3.2, §3.3 semantic / transaction
    "badbranch.dat": .reject(400), "insuf.dat": .reject(400), "unkscm.dat": .reject(416),
    "novelsc.dat": .reject(416), "unksm2.dat": .request, "bext01.dat": .reject(420),
    "invut.dat": .request, "regaut01.dat": .request, "multi01.dat": .reject(400),
    "mcl01.dat": .reject(400), "bcast.dat": .response, "zeromf.dat": .request,
    "cparam01.dat": .request, "cparam02.dat": .request, "regescrt.dat": .request,
    "sdp01.dat": .reject(406),
  ]

  @Test func everyManifestRowHasAnExpectation() {
    #expect(Corpus.manifest.count == 49)
    #expect(Set(Corpus.manifest.keys) == Set(Self.expected.keys))
  }

  @Test(arguments: expected.keys.sorted())
  func outcome(_ name: String) {
    let decision = Corpus.decode(name)
    let outcome: Outcome
    switch decision {
    case .request: outcome = .request
    case .response: outcome = .response
    case .reject(let status, _, let response):
      outcome = .reject(status)
      // The refusal is a response to the request, with `received` on its top
      // Via. (It copies the request's own From/To, defects included.)
      let text = String(decoding: response, as: UTF8.self)
      #expect(text.hasPrefix("SIP/2.0 \(status) "), "\(name)")
      #expect(text.contains("received=\(Corpus.source.host)"), "\(name)")
    case .drop: outcome = .drop
    }
    #expect(outcome == Self.expected[name], "\(name)")
    // Valid messages must be passed on, never refused.
    if Corpus.manifest[name] == "valid" {
      #expect(outcome == .request || outcome == .response, "\(name) is valid")
    }
  }

  @Test func wsinvValues() throws {
    guard case .request(let message) = Corpus.decode("wsinv.dat") else {
      Issue.record("not a request"); return
    }
    #expect(message.method == .invite)
    #expect(message.requestURI?.user == "vivekg")
    #expect(message.requestURI?.host == "chair-dnrc.example.com")
    #expect(message.callID == "wsinv.ndaksdj@192.0.2.1")
    #expect(message.cseq?.number == 9)
    #expect(message.cseq?.method == "INVITE")
    #expect(message.maxForwards == 68)
    #expect(message.viaCount == 3)
    #expect(message.topVia?.branch == "390skdjuw")
    #expect(message.fromTag == "98asjd8")
    #expect(message.toTag == "1918181833n")
    #expect(message.toURI?.user == "vivekg")
    // Unknown headers are kept for forwarding (RFC 4475 §3.1.1.1).
    let out = String(decoding: message.serialized(), as: UTF8.self)
    #expect(out.lowercased().contains("unknownheaderwithunusualvalue: ;;,,;;,;"))
  }

  @Test func intmethKeepsTheNULInTheDisplayName() throws {
    guard case .request(let message) = Corpus.decode("intmeth.dat") else {
      Issue.record("not a request")
      return
    }
    #expect(message.method == .extension("!interesting-Method0123456789_*+`.%indeed'~"))
    #expect(message.cseq?.method == "!interesting-Method0123456789_*+`.%indeed'~")
    let out = message.serialized()
    #expect(out.contains(0))
    #expect(!out.contains(0xFF))
  }

  @Test func escapesStayEscaped() {
    guard case .request(let message) = Corpus.decode("esc01.dat") else {
      Issue.record("not a request"); return
    }
    // %HH in a SIP-URI component equals the character (RFC 4475 §3.1.1.3),
    // and is escaped again on the way out.
    #expect(message.requestURI?.user == "sips:user@example.com")
    #expect(message.requestURIText == "sip:sips%3Auser%40example.com@example.net")
    guard case .request(let semi) = Corpus.decode("semiuri.dat") else {
      Issue.record("not a request"); return
    }
    #expect(semi.requestURI?.user == "user;par=u@example.net")
    #expect(semi.requestURI?.host == "example.com")
  }

  @Test func dblreqIgnoresTheTrailingInvite() {
    guard case .request(let message) = Corpus.decode("dblreq.dat") else {
      Issue.record("not a request"); return
    }
    #expect(message.method == .register)
    #expect(message.contentLength == 0)
    let out = String(decoding: message.serialized(), as: UTF8.self)
    #expect(!out.contains("INVITE"))
  }

  @Test func longreqKeepsEveryVia() {
    guard case .request(let message) = Corpus.decode("longreq.dat") else {
      Issue.record("not a request"); return
    }
    #expect(message.viaCount == 34)
    #expect(message.callID?.count ?? 0 > 100)
  }

  @Test func transportsAreRead() {
    guard case .request(let message) = Corpus.decode("transports.dat") else {
      Issue.record("not a request"); return
    }
    let transports = (0..<message.viaCount).compactMap { message.via(at: $0)?.transport }
    #expect(transports == ["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"])
  }

  @Test func mpart01BodyIsFramedByContentLength() {
    guard case .request(let message) = Corpus.decode("mpart01.dat") else {
      Issue.record("not a request"); return
    }
    #expect(message.method == .message)
    #expect(message.contentLength == 553)
  }

  @Test func responsesWithOddReasonPhrases() {
    guard case .response(let unreason) = Corpus.decode("unreason.dat") else {
      Issue.record("no response"); return
    }
    #expect(unreason.statusCode == 200)
    guard case .response(let noreason) = Corpus.decode("noreason.dat") else {
      Issue.record("no response"); return
    }
    #expect(noreason.statusCode == 100)
  }

  @Test func inv2543HasNoBranchNoMaxForwards() {
    guard case .request(let message) = Corpus.decode("inv2543.dat") else {
      Issue.record("not a request"); return
    }
    #expect(message.topVia?.branch == nil)
    #expect(message.hasMaxForwards == false)
    #expect(message.fromTag == nil)
    #expect(message.contentLength == 105)
  }

  @Test func bext01ListsTheUnsupportedTags() {
    guard case .reject(420, _, let response) = Corpus.decode("bext01.dat") else {
      Issue.record("no 420"); return
    }
    let text = String(decoding: response, as: UTF8.self)
    #expect(text.contains("Unsupported: noProxiesSupportThis, norDoAnyProxiesSupportThis"))
  }

  @Test func zeromfHasMaxForwardsZero() {
    guard case .request(let message) = Corpus.decode("zeromf.dat") else {
      Issue.record("not a request"); return
    }
    #expect(message.maxForwards == 0)
  }

  /// Over a stream the transport has already framed the message; the framing
  /// errors of clerr/ncl/mcl01 are the transport's (it closes the connection).
  @Test func streamFramedMessagesSkipDatagramFraming() {
    if case .request = Corpus.decode("inv2543.dat", isDatagram: false) {} else { Issue.record("inv2543") }
  }
}
