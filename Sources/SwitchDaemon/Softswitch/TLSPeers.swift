import Policy
import SIPCore
import SIPTransport

/// What each egress interconnect reached over TLS must present (its
/// `tls_server_name` or `tls_fingerprint_sha256`, Migration 0023), by
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
}
