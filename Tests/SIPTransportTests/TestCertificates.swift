import Foundation

/// Test certificates (EC P-256, made with `openssl req`/`openssl x509`): a CA, a server
/// certificate it signed for `sip.example.test`, 127.0.0.1 and ::1 (valid to 2126),
/// a self-signed certificate for the same name from no trusted CA, and an expired one.
enum TestCertificates {
  static let caCertificate = """
    -----BEGIN CERTIFICATE-----
    MIIBizCCATGgAwIBAgIUck5nhDtFy3GNVs1Km2lMjC6+7HQwCgYIKoZIzj0EAwIw
    GjEYMBYGA1UEAwwPZGlkdHJvbiB0ZXN0IENBMCAXDTI2MTIwNzEyMzE0NVoYDzIx
    MjYxMTEzMTIzMTQ1WjAaMRgwFgYDVQQDDA9kaWR0cm9uIHRlc3QgQ0EwWTATBgcq
    hkjOPQIBBggqhkjOPQMBBwNCAARUz0E/JCNm6qg0LCqK2Tyd6nUsSmGWz0EKAShN
    BydludxXPwHLsdnlkehXdA1kIIA5IbAJPutAT1ElgvcqUEZho1MwUTAdBgNVHQ4E
    FgQUXsKj+Gj6RlglbTlkphuKbo1nRzYwHwYDVR0jBBgwFoAUXsKj+Gj6RlglbTlk
    phuKbo1nRzYwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiAk15EW
    /lo0n3MkP60ltP3rqhzTIJ0WA6r3E4zv804XCQIhAIJ0MTUVYupqbIMQsNR4wbi7
    USVtJOuYe7LCCWrDgSwy
    -----END CERTIFICATE-----
    """

  static let serverCertificate = """
    -----BEGIN CERTIFICATE-----
    MIIBsDCCAVagAwIBAgIULg61Atca+XQBiPPllYyWWHG06ikwCgYIKoZIzj0EAwIw
    GjEYMBYGA1UEAwwPZGlkdHJvbiB0ZXN0IENBMCAXDTI2MTIwNzEyMzE0NVoYDzIx
    MjYxMTEzMTIzMTQ1WjAbMRkwFwYDVQQDDBBzaXAuZXhhbXBsZS50ZXN0MFkwEwYH
    KoZIzj0CAQYIKoZIzj0DAQcDQgAEwBB3wHq09rqVjELzJskFvTtO6TDwGf0WxzCd
    +NiUrCntgHpBLHIlT4RW/ZJTYioj6qcDCg2Kyiax4avtpn8yZ6N3MHUwMwYDVR0R
    BCwwKoIQc2lwLmV4YW1wbGUudGVzdIcEfwAAAYcQAAAAAAAAAAAAAAAAAAAAATAd
    BgNVHQ4EFgQUIhyPpnk51blRuYCe9bs3A6iFIRIwHwYDVR0jBBgwFoAUXsKj+Gj6
    RlglbTlkphuKbo1nRzYwCgYIKoZIzj0EAwIDSAAwRQIhANgSwIOcnMB03Z5MHDz9
    2rvC9SRn6dGwupHYGunhtRzVAiBSrbBL6z5u95bTDNt1WludC/8+5kj6DGUjuLl8
    D6Y71g==
    -----END CERTIFICATE-----
    """

  static let serverKey = """
    -----BEGIN PRIVATE KEY-----
    MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgIwwGb8Jx5CjvBH3Q
    I0Jw3JtFmpJMyxA8vBc4Y4ex+fKhRANCAATAEHfAerT2upWMQvMmyQW9O07pMPAZ
    /RbHMJ342JSsKe2AekEsciVPhFb9klNiKiPqpwMKDYrKJrHhq+2mfzJn
    -----END PRIVATE KEY-----
    """

  static let otherCertificate = """
    -----BEGIN CERTIFICATE-----
    MIIBqzCCAVCgAwIBAgIUEyZR8ltOrPKhz5aGvGwsFMIvfH4wCgYIKoZIzj0EAwIw
    GzEZMBcGA1UEAwwQc2lwLmV4YW1wbGUudGVzdDAgFw0yNjEyMDcxMjMxNDVaGA8y
    MTI2MTExMzEyMzE0NVowGzEZMBcGA1UEAwwQc2lwLmV4YW1wbGUudGVzdDBZMBMG
    ByqGSM49AgEGCCqGSM49AwEHA0IABDrGc3iPzX5BFAiNBD0fYTfZOR55iID8E19u
    TvGMaldgDkhpLksFTarnfgbOgcICBLlM+8IlCtt6uCERvTidftyjcDBuMB0GA1Ud
    DgQWBBRHABm9In1aMSeJpNgYBhIb/yWEMTAfBgNVHSMEGDAWgBRHABm9In1aMSeJ
    pNgYBhIb/yWEMTAPBgNVHRMBAf8EBTADAQH/MBsGA1UdEQQUMBKCEHNpcC5leGFt
    cGxlLnRlc3QwCgYIKoZIzj0EAwIDSQAwRgIhAOHVKJqpCDSDT7L/BLEI5xJm3sLO
    gnucS7FYgusw9pTlAiEA0izQ3XLY/UhaPH8c/wWdM0tTb/ZDY4E7q834ZZH6tDs=
    -----END CERTIFICATE-----
    """

  static let otherKey = """
    -----BEGIN PRIVATE KEY-----
    MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgiyi2vpDv4/fyTy2e
    1iHzi3hQZtPQkixhuOofLIchx/WhRANCAAQ6xnN4j81+QRQIjQQ9H2E32TkeeYiA
    /BNfbk7xjGpXYA5IaS5LBU2q534GzoHCAgS5TPvCJQrberghEb04nX7c
    -----END PRIVATE KEY-----
    """

  static let expiredCertificate = """
    -----BEGIN CERTIFICATE-----
    MIIBODCB3wIUY50yVKGS+gP2n8Dl6gmViSjJTvIwCgYIKoZIzj0EAwIwHzEdMBsG
    A1UEAwwUZXhwaXJlZC5leGFtcGxlLnRlc3QwHhcNMjYxMjA3MTIzMTQ5WhcNMjYx
    MjA2MTIzMTQ5WjAfMR0wGwYDVQQDDBRleHBpcmVkLmV4YW1wbGUudGVzdDBZMBMG
    ByqGSM49AgEGCCqGSM49AwEHA0IABGaWTCzs55FTMAGxPaFMglyff9fOb0/GHe0I
    zkpO6qFBvp3vxNyS/sWZFxyBj6VPYZKQV17v8BKdK6EvUcdETwQwCgYIKoZIzj0E
    AwIDSAAwRQIhAIZhbpIRvCeMUtpRF8ZtiHmWUdjN961Yx04iAc32cWBCAiA/ZmyU
    3Xf7/DQi1s3ELRtLCcqm2U5kF+VhiDaPcBJlpw==
    -----END CERTIFICATE-----
    """

  static let expiredKey = """
    -----BEGIN PRIVATE KEY-----
    MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg5gaf05yIt9tRbzcs
    6qvGbDqXyHi+VK18h7RTs+YKkdChRANCAARmlkws7OeRUzABsT2hTIJcn3/Xzm9P
    xh3tCM5KTuqhQb6d78Tckv7FmRccgY+lT2GSkFde7/ASnSuhL1HHRE8E
    -----END PRIVATE KEY-----
    """

  /// A directory holding every file above (`ca.pem`, `server.pem`, `server.key`, ...).
  static let directory: String = {
    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("didtron-tls-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
    try! FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let files = [
      "ca.pem": caCertificate, "server.pem": serverCertificate, "server.key": serverKey,
      "other.pem": otherCertificate, "other.key": otherKey, "expired.pem": expiredCertificate,
      "expired.key": expiredKey,
    ]
    for (name, text) in files {
      try! text.write(toFile: "\(directory)/\(name)", atomically: true, encoding: .utf8)
    }
    return directory
  }()

  static func path(_ name: String) -> String { "\(directory)/\(name)" }
}
