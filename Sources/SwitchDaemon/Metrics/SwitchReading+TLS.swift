extension SwitchReading {
  /// SIP over TLS (docs/tls.md): handshakes, and when the switch's certificate
  /// expires (only with a certificate).
  var tls: [MetricFamily] {
    var families: [MetricFamily] = [
      .counter(
        "didtron_tls_handshakes_total",
        "TLS handshakes, inbound and outbound, by result (failed: refused, broken or not finished in time).",
        by: "result", ["ok": transport.tlsHandshakes, "failed": transport.tlsHandshakeFailures])
    ]
    if let notAfter = tlsCertificateNotAfter {
      families.append(
        .gauge(
          "didtron_tls_certificate_expiry_time_seconds",
          "When the TLS certificate in use (tls.certificate_file) expires, Unix time.", Int(notAfter)))
    }
    return families
  }
}
