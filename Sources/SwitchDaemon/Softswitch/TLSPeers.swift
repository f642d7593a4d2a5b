import Policy
import SIPCore
import SIPTransport

/// What each egress interconnect reached over TLS must present (its
/// `tls_server_name` or `tls_fingerprint_sha256`, Migration 0024), by
/// destination, for the transport layer. Set at each reference-data load.
enum TLSPeers {
  static func of(_ interconnects: some Sequence<Interconnect>) -> [Endpoint: TLSPeer] {
    var peers: [Endpoint: TLSPeer] = [:]
    for interconnect in interconnects where interconnect.direction.allowsEgress {
      guard let destination = interconnect.egressEndpoint, destination.transport == .tls,
        interconnect.tlsServerName != nil || interconnect.tlsFingerprintSHA256 != nil
      else { continue }
      peers[destination] = TLSPeer(
        serverName: interconnect.tlsServerName, fingerprintSHA256: interconnect.tlsFingerprintSHA256)
    }
    return peers
  }

  /// Mutual TLS: for a source, the client certificates of the ingress
  /// interconnects over TLS whose addresses it matches (one of them must be
  /// presented; each by its `tls_client_fingerprint_sha256`,
  /// `tls_client_subject` and `tls_client_san`, Migrations 0024 and 0025);
  /// nil when none requires one.
  static func clientIdentities(_ interconnects: some Sequence<Interconnect>)
    -> @Sendable (Endpoint) -> [TLSClientIdentity]?
  {
    let requiring = interconnects.compactMap { interconnect -> ([InterconnectAddress], TLSClientIdentity)? in
      guard interconnect.direction.allowsIngress, interconnect.isActive, interconnect.transport == .tls,
        interconnect.requiresClientCertificate
      else { return nil }
      let identity = TLSClientIdentity(
        fingerprintSHA256: interconnect.tlsClientFingerprintSHA256, subject: interconnect.tlsClientSubject,
        subjectAltName: interconnect.tlsClientSubjectAltName)
      return (interconnect.addresses, identity)
    }
    guard !requiring.isEmpty else { return { _ in nil } }
    return { source in
      guard source.transport == .tls, let address = IPAddress(source.host) else { return nil }
      var identities: [TLSClientIdentity] = []
      for (addresses, identity) in requiring
      where !identities.contains(identity)
        && addresses.contains(where: {
          $0.match.contains(address) && ($0.port == nil || $0.port == source.port)
        })
      {
        identities.append(identity)
      }
      return identities.isEmpty ? nil : identities
    }
  }
}
