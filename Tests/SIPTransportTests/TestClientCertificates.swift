import Foundation

/// Client certificates for mutual TLS by name (Migration 0025), made with
/// `openssl req`/`openssl x509` (EC P-256, valid to 2126): a client CA, an
/// interconnect's certificate it signed, another one it signed for another
/// name, and a self-signed forgery of the first. Written next to
/// `TestCertificates`' files.
enum TestClientCertificates {
  /// The client CA (`didtron test client CA`).
  static let clientCA = """
    -----BEGIN CERTIFICATE-----
    MIIBqTCCAU+gAwIBAgIUeJk6NOXYiKw62FrGYBlx7ztvQWwwCgYIKoZIzj0EAwIw
    ITEfMB0GA1UEAwwWZGlkdHJvbiB0ZXN0IGNsaWVudCBDQTAgFw0yNjEyMDcxNTQ3
    MjlaGA8yMTI2MTExMzE1NDcyOVowITEfMB0GA1UEAwwWZGlkdHJvbiB0ZXN0IGNs
    aWVudCBDQTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABHRqDNHAx3DeeIVff/7u
    k45RtQ00W/vzwcg6oIxTbKjpgNFO8/NEjHv8LciEjko9+SufjWGWszybZFP92qdV
    vfajYzBhMB0GA1UdDgQWBBTch0ZLlBs/HVUtel6/IwP0AOPTvzAfBgNVHSMEGDAW
    gBTch0ZLlBs/HVUtel6/IwP0AOPTvzAPBgNVHRMBAf8EBTADAQH/MA4GA1UdDwEB
    /wQEAwIBBjAKBggqhkjOPQQDAgNIADBFAiEAluFb+NDFph7W4OX4q4emUjz9msM0
    SzVPEocZyOo/YcoCIGOClO/xiSi6hpmIZs/9o3gb9jOks3ucrc3YYXD/OobQ
    -----END CERTIFICATE-----
    """

  /// An interconnect's client certificate from the client CA: subject
  /// `CN=sbc.carrier.test,O=Carrier Test Ltd,C=GB`, subjectAltName `DNS:sbc.carrier.test`,
  /// `URI:sip:sbc.carrier.test`, `IP:192.0.2.10`, `IP:2001:db8::10`.
  static let trunkCertificate = """
    -----BEGIN CERTIFICATE-----
    MIICIjCCAcegAwIBAgIUZRxoqzrcbTIGns/7/3VOUTqnq8owCgYIKoZIzj0EAwIw
    ITEfMB0GA1UEAwwWZGlkdHJvbiB0ZXN0IGNsaWVudCBDQTAgFw0yNjEyMDcxNTQ3
    MjlaGA8yMTI2MTExMzE1NDcyOVowQzELMAkGA1UEBhMCR0IxGTAXBgNVBAoMEENh
    cnJpZXIgVGVzdCBMdGQxGTAXBgNVBAMMEHNiYy5jYXJyaWVyLnRlc3QwWTATBgcq
    hkjOPQIBBggqhkjOPQMBBwNCAATS1mgWeavzAxW1nOhSU4J53YNMs6YzoZ3zd0Ot
    RVJ68BmDn+18vNMzG+IED+yf1e8U8a6jJ6Wj6mLxvUEPBSclo4G4MIG1MEkGA1Ud
    EQRCMECCEHNiYy5jYXJyaWVyLnRlc3SGFHNpcDpzYmMuY2Fycmllci50ZXN0hwTA
    AAIKhxAgAQ24AAAAAAAAAAAAAAAQMAkGA1UdEwQCMAAwHQYDVR0lBBYwFAYIKwYB
    BQUHAwIGCCsGAQUFBwMBMB0GA1UdDgQWBBQQEhHMe0P8zS7ZMghxV8EwP2fLWTAf
    BgNVHSMEGDAWgBTch0ZLlBs/HVUtel6/IwP0AOPTvzAKBggqhkjOPQQDAgNJADBG
    AiEAweubT+TDUn8Td4XTueF4/xVs1eSHhToxHVVdcjOK6QMCIQDhEnJi+i0OyMo6
    AkfXD602q6pmNpy+ZhSYj3Iby0/xjw==
    -----END CERTIFICATE-----
    """

  static let trunkKey = """
    -----BEGIN PRIVATE KEY-----
    MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgfN2Nlngonz5dDckW
    0+vdqkH9Sbc5+F5aqOIG1exFxfihRANCAATS1mgWeavzAxW1nOhSU4J53YNMs6Yz
    oZ3zd0OtRVJ68BmDn+18vNMzG+IED+yf1e8U8a6jJ6Wj6mLxvUEPBScl
    -----END PRIVATE KEY-----
    """

  /// Another client certificate from the same CA: `CN=sbc.stranger.test,O=Stranger Ltd,C=GB`,
  /// `DNS:sbc.stranger.test`.
  static let strangerCertificate = """
    -----BEGIN CERTIFICATE-----
    MIIB8jCCAZegAwIBAgIUZRxoqzrcbTIGns/7/3VOUTqnq8swCgYIKoZIzj0EAwIw
    ITEfMB0GA1UEAwwWZGlkdHJvbiB0ZXN0IGNsaWVudCBDQTAgFw0yNjEyMDcxNTQ3
    MzBaGA8yMTI2MTExMzE1NDczMFowQDELMAkGA1UEBhMCR0IxFTATBgNVBAoMDFN0
    cmFuZ2VyIEx0ZDEaMBgGA1UEAwwRc2JjLnN0cmFuZ2VyLnRlc3QwWTATBgcqhkjO
    PQIBBggqhkjOPQMBBwNCAAS+3yaTVhKHzEJYasSpZ2r4B9CclPdyKVrxlI0p+NqN
    WKw5MbLPJCGw1L11EVel6C6kjK9O6NczoIWU7VMZcIBio4GLMIGIMBwGA1UdEQQV
    MBOCEXNiYy5zdHJhbmdlci50ZXN0MAkGA1UdEwQCMAAwHQYDVR0lBBYwFAYIKwYB
    BQUHAwIGCCsGAQUFBwMBMB0GA1UdDgQWBBQkcgPWHcp/EcNyTkxv/LSopE4tmzAf
    BgNVHSMEGDAWgBTch0ZLlBs/HVUtel6/IwP0AOPTvzAKBggqhkjOPQQDAgNJADBG
    AiEA4Lxg43827nANXtCCtlS/RgxOQtxuqDpvMfQL2QjeqbkCIQCesijUPXJ/IALK
    d6t4o1CSrkrbyKxuGEHGpxRgA/s4qA==
    -----END CERTIFICATE-----
    """

  static let strangerKey = """
    -----BEGIN PRIVATE KEY-----
    MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgCnTjBNSB+8XMBNfp
    HkixGtF7PdxIomI5EAMNitTShE2hRANCAAS+3yaTVhKHzEJYasSpZ2r4B9CclPdy
    KVrxlI0p+NqNWKw5MbLPJCGw1L11EVel6C6kjK9O6NczoIWU7VMZcIBi
    -----END PRIVATE KEY-----
    """

  /// Self-signed, with exactly the names of `trunk.pem`: from no trusted CA.
  static let forgedCertificate = """
    -----BEGIN CERTIFICATE-----
    MIICIjCCAcigAwIBAgIUP0tlu2HWRnyyTkQ10Jk6pQ1KhTQwCgYIKoZIzj0EAwIw
    QzELMAkGA1UEBhMCR0IxGTAXBgNVBAoMEENhcnJpZXIgVGVzdCBMdGQxGTAXBgNV
    BAMMEHNiYy5jYXJyaWVyLnRlc3QwIBcNMjYxMjA3MTU0NzMwWhgPMjEyNjExMTMx
    NTQ3MzBaMEMxCzAJBgNVBAYTAkdCMRkwFwYDVQQKDBBDYXJyaWVyIFRlc3QgTHRk
    MRkwFwYDVQQDDBBzYmMuY2Fycmllci50ZXN0MFkwEwYHKoZIzj0CAQYIKoZIzj0D
    AQcDQgAEiE4D7AFz9ugGg8WusWefMk9wpJft4Brsf68q8lG7gL6ibt9zM7d08fMl
    y77AhYjQXFm4hWzKcYFg2vtejLGbeKOBlzCBlDBJBgNVHREEQjBAghBzYmMuY2Fy
    cmllci50ZXN0hhRzaXA6c2JjLmNhcnJpZXIudGVzdIcEwAACCocQIAENuAAAAAAA
    AAAAAAAAEDAJBgNVHRMEAjAAMB0GA1UdJQQWMBQGCCsGAQUFBwMCBggrBgEFBQcD
    ATAdBgNVHQ4EFgQUd/eCJMpEv+8EyWUf/soK6dOmqggwCgYIKoZIzj0EAwIDSAAw
    RQIhAI9Am7SRecS5lLqC2xLsof9Kn95zwW78DB32ACyrZMBoAiBZbvjKaOLv0ydu
    TqJChs7cd0Z8v/1KjqpLhkmsRT1HCQ==
    -----END CERTIFICATE-----
    """

  static let forgedKey = """
    -----BEGIN PRIVATE KEY-----
    MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg1SWPOVE8K595dQNE
    joJz8V5vqrTZhiZWifcCM0w3+5WhRANCAASITgPsAXP26AaDxa6xZ58yT3Ckl+3g
    Gux/ryryUbuAvqJu33Mzt3Tx8yXLvsCFiNBcWbiFbMpxgWDa+16MsZt4
    -----END PRIVATE KEY-----
    """

  /// SHA-256 of trunk.pem and forged.pem (DER): `openssl x509 -outform DER | sha256sum`.
  static let trunkFingerprint = "58f9a082dfb828da60ef76f935028b2bed39ad2917d1f123a7d5de3c43b84838"
  static let forgedFingerprint = "782b2eed4376e8428cd7955cf05f523219e6ff898098cf728e51e2bd78e0c934"

  /// Writes the files (`clientca.pem`, `trunk.pem`, `trunk.key`, ...) once; the directory.
  static let directory: String = {
    let directory = TestCertificates.directory
    let files = [
      "clientca.pem": clientCA, "trunk.pem": trunkCertificate, "trunk.key": trunkKey,
      "stranger.pem": strangerCertificate, "stranger.key": strangerKey, "forged.pem": forgedCertificate,
      "forged.key": forgedKey,
    ]
    for (name, text) in files {
      try! text.write(toFile: "\(directory)/\(name)", atomically: true, encoding: .utf8)
    }
    return directory
  }()

  static func path(_ name: String) -> String { "\(directory)/\(name)" }
}
