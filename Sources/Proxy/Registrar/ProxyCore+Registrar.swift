import Logging
import SIPCore
import SIPTransaction

/// REGISTER for a registrar domain (RFC 3261 §10.3; docs/registrar.md).
extension ProxyCore {
  /// A REGISTER for a registrar domain (RFC 3261 §10.3), read as written on
  /// the wire; answered here, never forwarded.
  func receiveRegister(_ request: SIPMessage, source: Endpoint, record: ServerTransactionRecord) {
    guard let registrar else { return }
    // §8.2.2.3: this registrar supports no extension a REGISTER could require.
    let required = request.headerValues("require").flatMap { $0.split(separator: ",") }
      .map {
        String($0.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
      }
      .filter { !$0.isEmpty }
    if !required.isEmpty {
      respondLocally(record, 420, "Bad Extension", extra: [("Unsupported", required.joined(separator: ", "))])
      return
    }
    let parts = request.withOriginalBytes {
      bytes -> (uri: String, to: String?, contacts: [String], expires: String?, authorizations: [String]) in
      let head = RawSIPHead(scanning: bytes)
      func text(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }
      // The Request-URI as written: the second word of the request line.
      let uri = text(head.startLine).split(separator: " ", omittingEmptySubsequences: true).dropFirst().first
      return (
        uri.map(String.init) ?? "", head.to.map(text), head.contacts.map(text), head.expires.map(text),
        head.authorizations.map(text)
      )
    }
    var expires: Int?
    if let text = parts.expires {
      guard let value = Int(text), value >= 0 else {
        respondLocally(record, 400, "Invalid Expires")
        return
      }
      expires = value
    }
    let now = clock.monotonicMs
    let outcome = registrar.register(
      Registrar.Request(
        requestURI: parts.uri, to: parts.to, contacts: parts.contacts, expires: expires,
        callID: request.callID ?? "", cseq: request.cseq?.number ?? 0, source: source,
        authorizations: parts.authorizations, userAgent: request.headerValues("user-agent").first),
      nowMs: now)
    logThrottleReports(registrar.throttle)
    switch outcome {
    case .registered(let aor, let bindings):
      tally.registrations += 1
      registrar.sendChange(unixOffsetMs: clock.unixMs - now)
      for deadline in Set(bindings.map(\.expiresAtMs)) {
        _ = schedule(.registrationExpiry(aor), afterMs: deadline - now)
      }
      let contacts = Registrar.contactValues(bindings, nowMs: now).map { ("Contact", $0) }
      respondLocally(record, 200, "OK", extra: contacts + [("Date", HTTPDate.text(unixMs: clock.unixMs))])
    case .refused(let refusal):
      tally.registrationsRefused += 1
      respondLocally(
        record, refusal.status, refusal.reason, extra: refusal.headers.map { ($0.name, $0.value) })
    case .dropped:
      // Blocked after failed authentications: silence (docs/registrar.md
      // "Brute force"); a retransmission meets the same block.
      transactions.terminate(record)
    }
  }

  /// One line per blocked source or user per interval (never one per request).
  func logThrottleReports(_ throttle: AuthenticationThrottle) {
    for report in throttle.takeReports() {
      var metadata: Logger.Metadata = [
        report.scope.rawValue: "\(report.subject)", "failures": "\(report.failures)",
        "dropped": "\(report.dropped)", "blocked_seconds": "\(report.blockedSeconds)",
      ]
      if !report.names.isEmpty { metadata["users"] = "\(report.names.joined(separator: ","))" }
      logger.warning(
        report.scope == .source
          ? "authentication failures: source blocked"
          : "authentication failures: user blocked from new sources",
        metadata: metadata)
    }
  }
}
