import Logging
import Policy
import SIPCore
import SIPTransport

/// What each egress interconnect reached over TLS must present (its
/// `tls_server_name` or `tls_fingerprint_sha256`, Migration 0024), by
/// destination, for the transport layer. Set at each reference-data load.
enum TLSPeers {
  /// Gives the transport layer what a reference-data load says of TLS peers:
  /// the egress interconnects' names and pins, and the ingress ones' client
  /// certificates. Warns when a client certificate is named (subject or SAN)
  /// but no `tls.ca_file` is set: such a name never matches.
  static func install(
    _ interconnects: some Collection<Interconnect>, into tls: TLSContextStore, logger: Logger
  ) {
    tls.setPeers(of(interconnects))
    tls.setClientIdentities(clientIdentities(interconnects))
    let unverifiable = namedWithoutCA(interconnects, caFile: tls.configuration.caFile)
    if !unverifiable.isEmpty {
      logger.warning(
        """
        TLS: client certificates named by subject or subjectAltName need tls.ca_file, which is not set: \
        these interconnects' TLS connections are refused
        """,
        metadata: ["interconnects": "\(unverifiable.joined(separator: ", "))"])
    }
  }

  /// The ingress TLS interconnects (by name) whose client certificate is
  /// named while there is no CA bundle to verify it against.
  static func namedWithoutCA(_ interconnects: some Sequence<Interconnect>, caFile: String?) -> [String] {
    guard caFile?.isEmpty ?? true else { return [] }
    return interconnects.filter {
      $0.direction.allowsIngress && $0.isActive && $0.transport == .tls
        && ($0.tlsClientSubject != nil || $0.tlsClientSubjectAltName != nil)
    }.map(\.name).sorted()
  }

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
