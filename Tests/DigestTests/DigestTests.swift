import Testing

@testable import Digest

@Suite("Digest: hashing on OpenSSL, credentials, nonces, verification (RFC 2617, 7616, 8760)")
struct DigestTests {
  @Test func hashesAreTheStandardOnes() {
    #expect(DigestHash.md5.hex("") == "d41d8cd98f00b204e9800998ecf8427e")
    #expect(
      DigestHash.sha256.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    // RFC 4231, test case 2.
    let mac = DigestHash.sha256.hmac(key: Array("Jefe".utf8), Array("what do ya want for nothing?".utf8))
    #expect(DigestHash.hexText(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    // RFC 4231, test case 6: a key longer than the block is hashed first.
    let long = DigestHash.sha256.hmac(
      key: [UInt8](repeating: 0xAA, count: 131),
      Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8))
    #expect(DigestHash.hexText(long) == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    #expect(DigestHash.randomBytes(32).count == 32)
    #expect(DigestHash.randomBytes(16) != DigestHash.randomBytes(16))
  }

  @Test func algorithmTokensAreCaseInsensitive() {
    #expect(DigestHash(token: "md5") == .md5)
    #expect(DigestHash(token: "Sha-256") == .sha256)
    #expect(DigestHash(token: "SHA-512-256") == nil)
    #expect(DigestHash(token: "MD5-sess") == nil)
  }

  /// RFC 2617 §3.5.
  static let rfc2617 = DigestCredentials(
    username: "Mufasa", realm: "testrealm@host.com", nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093",
    uri: "/dir/index.html", response: "6629fae49393a05397450978507c4ef1", cnonce: "0a4f113b", qop: "auth",
    nc: "00000001", opaque: "5ccc069c403ebaf9f0171e9517f40e41")

  /// RFC 7616 §3.9.1.
  static func rfc7616(_ response: String, algorithm: String) -> DigestCredentials {
    DigestCredentials(
      username: "Mufasa", realm: "http-auth@example.org",
      nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
      uri: "/dir/index.html", response: response, algorithm: algorithm,
      cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", qop: "auth", nc: "00000001")
  }

  @Test func responsesMatchTheRFCExamples() {
    #expect(
      DigestVerifier.expectedResponse(Self.rfc2617, method: "GET", password: "Circle Of Life", hash: .md5)
        == "6629fae49393a05397450978507c4ef1")
    #expect(
      DigestVerifier.expectedResponse(
        Self.rfc7616("", algorithm: "MD5"), method: "GET", password: "Circle of Life", hash: .md5)
        == "8ca523f5e9506fed4657c9700eebdbec")
    #expect(
      DigestVerifier.expectedResponse(
        Self.rfc7616("", algorithm: "SHA-256"), method: "GET", password: "Circle of Life", hash: .sha256)
        == "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1")
  }

  @Test func aFoldedHeaderIsRead() throws {
    let folded = try #require(
      DigestCredentials(
        header:
          "Digest username=\"alice\",\r\n realm=\"example.com\",\r\n\tnonce=n, uri=\"sip:x\", response=\"r\"")
    )
    #expect(folded.realm == "example.com" && folded.nonce == "n")
  }

  @Test func credentialsAreReadFromTheHeader() throws {
    let header = """
      Digest username="Mufasa",realm="testrealm@host.com", NONCE="dcd98b7102dd2f0e8b11d0f600bfb0c093",
       uri="/dir/index.html", qop=auth, nc=00000001, cnonce="0a4f113b",
       response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41"
      """
    #expect(DigestCredentials(header: header) == Self.rfc2617)
    let escaped = try #require(
      DigestCredentials(
        header: #"digest username="a\"b\\c", realm="r", nonce="n", uri="sip:x", response="0""#))
    #expect(escaped.username == #"a"b\c"#)
    #expect(escaped.algorithm == nil && escaped.qop == nil)
  }

  @Test(arguments: [
    #"Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="#,
    #"Digest realm="r", nonce="n", uri="u", response="0""#,
    #"Digest username="a", username="b", realm="r", nonce="n", uri="u", response="0""#,
    #"Digest username="a, realm="r", nonce="n", uri="u", response="0""#,
    #"Digest username="a" realm="r", nonce="n", uri="u", response="0""#,
    #"Digest username=, realm="r", nonce="n", uri="u", response="0""#,
    #"Digestusername="a", realm="r", nonce="n", uri="u", response="0""#,
    "",
  ])
  func badCredentialsAreNotRead(_ header: String) {
    #expect(DigestCredentials(header: header) == nil)
  }

  static let secret = [UInt8](repeating: 7, count: 32)

  @Test func noncesAreFreshThenStaleAndOnlyOurs() {
    let authority = NonceAuthority(lifetimeMs: 300_000, secret: Self.secret)
    let nonce = authority.issue(nowMs: 1_000)
    #expect(nonce.count == 64)
    #expect(authority.check(nonce, nowMs: 1_000) == .fresh)
    #expect(authority.check(nonce, nowMs: 301_000) == .fresh)
    #expect(authority.check(nonce, nowMs: 301_001) == .stale)
    #expect(authority.check(nonce, nowMs: 999) == .invalid)
    #expect(NonceAuthority(lifetimeMs: 300_000).check(nonce, nowMs: 1_000) == .invalid)
    var forged = Array(nonce.utf8)
    forged[15] = forged[15] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
    #expect(authority.check(String(decoding: forged, as: UTF8.self), nowMs: 1_000) == .invalid)
    #expect(authority.check(String(nonce.dropLast()), nowMs: 1_000) == .invalid)
    #expect(authority.check(nonce.uppercased(), nowMs: 1_000) == .invalid)
    #expect(authority.issue(nowMs: 2_000) != nonce)
    // Two challenges in one millisecond (two phones registering together)
    // get two nonces, or the second answer with nc=1 would look a replay.
    #expect(authority.issue(nowMs: 1_000) != nonce)
    var spliced = Array(nonce.utf8)
    spliced[20] = spliced[20] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
    #expect(authority.check(String(decoding: spliced, as: UTF8.self), nowMs: 1_000) == .invalid)
  }

  static func signed(
    _ verifier: DigestVerifier, password: String, hash: DigestHash, nonce: String, qop: String? = "auth"
  ) -> DigestCredentials {
    var credentials = DigestCredentials(
      username: "alice", realm: "example.com", nonce: nonce, uri: "sip:example.com", response: "",
      algorithm: hash == .md5 ? nil : hash.rawValue, cnonce: qop == nil ? nil : "c0ffee",
      qop: qop, nc: qop == nil ? nil : "00000001")
    credentials.response = DigestVerifier.expectedResponse(
      credentials, method: "REGISTER", password: password, hash: hash)
    return credentials
  }

  @Test func theVerifierChecksResponseNonceAlgorithmAndQop() {
    let verifier = DigestVerifier(
      algorithms: [.sha256, .md5], nonces: NonceAuthority(lifetimeMs: 300_000, secret: Self.secret))
    let nonce = verifier.nonces.issue(nowMs: 0)
    func verdict(_ c: DigestCredentials, at ms: Int64 = 10) -> DigestVerifier.Verdict {
      verifier.verify(c, method: "REGISTER", password: "s3cret", nowMs: ms)
    }
    #expect(verdict(Self.signed(verifier, password: "s3cret", hash: .sha256, nonce: nonce)) == .valid)
    #expect(verdict(Self.signed(verifier, password: "s3cret", hash: .md5, nonce: nonce)) == .valid)
    #expect(verdict(Self.signed(verifier, password: "s3cret", hash: .md5, nonce: nonce, qop: nil)) == .valid)
    #expect(verdict(Self.signed(verifier, password: "wrong", hash: .sha256, nonce: nonce)) == .invalid)
    #expect(
      verdict(Self.signed(verifier, password: "s3cret", hash: .sha256, nonce: nonce), at: 400_000) == .stale)
    #expect(
      verdict(Self.signed(verifier, password: "wrong", hash: .sha256, nonce: nonce), at: 400_000) == .invalid)
    #expect(
      verdict(Self.signed(verifier, password: "s3cret", hash: .sha256, nonce: "x" + nonce.dropFirst()))
        == .invalid)
    #expect(
      verdict(Self.signed(verifier, password: "s3cret", hash: .md5, nonce: nonce, qop: "auth-int"))
        == .invalid)
    var upper = Self.signed(verifier, password: "s3cret", hash: .md5, nonce: nonce)
    upper.response = upper.response.uppercased()
    #expect(verdict(upper) == .valid)
    let sha256Only = DigestVerifier(algorithms: [.sha256], nonces: verifier.nonces)
    #expect(
      sha256Only.verify(
        Self.signed(verifier, password: "s3cret", hash: .md5, nonce: nonce), method: "REGISTER",
        password: "s3cret", nowMs: 10) == .invalid)
  }

  @Test func challengesNameRealmNonceAlgorithmAndQopInOrder() throws {
    let verifier = DigestVerifier(
      algorithms: [.sha256, .md5], nonces: NonceAuthority(lifetimeMs: 300_000, secret: Self.secret))
    let challenges = verifier.challenges(realm: "example.com", stale: true, nowMs: 5)
    let nonce = String(try #require(challenges.first?.split(separator: "\"").dropFirst(3).first))
    #expect(verifier.nonces.check(nonce, nowMs: 5) == .fresh)
    #expect(
      challenges == [
        #"Digest realm="example.com", nonce="\#(nonce)", algorithm=SHA-256, qop="auth", stale=true"#,
        #"Digest realm="example.com", nonce="\#(nonce)", algorithm=MD5, qop="auth", stale=true"#,
      ])
    #expect(!verifier.challenges(realm: "example.com", stale: false, nowMs: 5)[0].contains("stale"))
  }
}
