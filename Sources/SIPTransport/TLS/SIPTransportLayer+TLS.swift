import NIOCore
import SIPCore

/// TLS connections of the transport layer: each one's handler, made from the
/// contexts current when it opens, and what its handshake came to.
extension SIPTransportLayer {
  /// The TLS handler of a new stream connection. Its handshake must finish within
  /// the stream message deadline (`tcpMessageTimeoutMs`), as a message must.
  func makeTLSHandler(role: TLSContext.Role, peer: Endpoint, serverName: String?) throws -> TLSHandler {
    guard let store = self.tls else { throw TransportError.tlsNotConfigured(peer) }
    let connection: TLSConnection
    switch role {
    case .server:
      guard let server = store.server else { throw TransportError.tlsNotConfigured(peer) }
      // Mutual TLS: a source that must present a client certificate is asked for it.
      connection = try server.makeConnection(accepted: store.requiredClientIdentities(peer))
    case .client:
      // A session kept from the last connection to this server resumes it; an
      // interconnect's name or pinned certificate replaces the address check.
      let (client, session) = store.client(for: peer.hostPort)
      let expected = store.peer(peer.hostPort)
      connection = try client.makeConnection(
        serverName: expected?.serverName ?? serverName, resuming: session,
        acceptedFingerprints: expected?.fingerprintSHA256.map { [$0] })
    }
    return TLSHandler(
      connection: connection, role: role,
      handshakeTimeout: .milliseconds(self.configuration.tcpMessageTimeoutMs),
      onHandshake: { [environment] outcome in
        Self.handshakeEnded(outcome, peer: peer, environment: environment)
      },
      onSession: { [store] session in store.keep(session, for: peer.hostPort) })
  }

  private static func handshakeEnded(
    _ outcome: TLSHandshakeOutcome, peer: Endpoint, environment: TransportEnvironment
  ) {
    switch outcome {
    case .completed(let version, let cipher, let resumed, let serverName):
      environment.count { $0.tlsHandshakes += 1 }
      environment.logger.debug(
        "TLS handshake completed",
        metadata: [
          "peer": "\(peer)", "protocol": "\(version)", "cipher": "\(cipher)", "resumed": "\(resumed)",
          "sni": "\(serverName ?? "")",
        ])
    case .failed(let error):
      environment.count { $0.tlsHandshakeFailures += 1 }
      environment.logAbuse(
        "tls-handshake", "TLS handshake failed", source: peer.host, now: .now(),
        metadata: ["peer": "\(peer)", "error": "\(error)"])
    }
  }
}
