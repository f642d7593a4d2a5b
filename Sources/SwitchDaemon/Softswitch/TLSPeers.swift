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

  /// Mutual TLS: for a source, the client certificates (SHA-256s) of the
  /// ingress interconnects over TLS whose addresses it matches; nil when none
  /// requires one.
  static func clientCertificates(_ interconnects: some Sequence<Interconnect>)
    -> @Sendable (Endpoint) -> Set<String>?
  {
    let requiring = interconnects.compactMap { interconnect -> ([InterconnectAddress], String)? in
      guard interconnect.direction.allowsIngress, interconnect.isActive, interconnect.transport == .tls,
        let fingerprint = interconnect.tlsClientFingerprintSHA256
      else { return nil }
      return (interconnect.addresses, fingerprint)
    }
    guard !requiring.isEmpty else { return { _ in nil } }
    return { source in
      guard source.transport == .tls, let address = IPAddress(source.host) else { return nil }
      var fingerprints: Set<String> = []
      for (addresses, fingerprint) in requiring
      where addresses.contains(where: {
        $0.match.contains(address) && ($0.port == nil || $0.port == source.port)
      }) {
        fingerprints.insert(fingerprint)
      }
      return fingerprints.isEmpty ? nil : fingerprints
    }
  }
}
