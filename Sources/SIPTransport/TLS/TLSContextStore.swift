import NIOConcurrencyHelpers
import SIPCore

/// The TLS contexts of one transport layer: the server context of the `tls:`
/// listeners and the client context of outbound TLS connections. `reload`
/// replaces them for new handshakes; established connections keep the context
/// they were made from.
public final class TLSContextStore: Sendable {
  private struct Contexts {
    var configuration: TLSConfiguration
    var server: TLSContext?
    var client: TLSContext
    /// Client sessions to resume, by server (`host:port`); emptied on reload.
    var sessions: [String: TLSSession] = [:]
  }

  /// Servers whose sessions are kept; one more empties the table (bounded memory).
  static let maxSessions = 4096

  private let contexts: NIOLockedValueBox<Contexts>
  /// What servers must present, by destination (`host:port`).
  private let peers = NIOLockedValueBox<[String: TLSPeer]>([:])
  /// The client certificates a source must present (one of them), if any.
  private let clientIdentities = NIOLockedValueBox<@Sendable (Endpoint) -> [TLSClientIdentity]?>({ _ in nil })

  /// Builds the contexts: the server's only if `certificateFile` is set.
  public init(configuration: TLSConfiguration) throws(TLSError) {
    self.contexts = NIOLockedValueBox(try Self.build(configuration))
  }

  /// Loads the files again (a renewed certificate). On any error the contexts
  /// in use stay, and the error says why. A certificate that expired before
  /// `nowUnix` is refused too: a renewal that left the old file in place
  /// must not replace a good certificate with a dead one (at start there is
  /// none to keep: the switch serves it with a warning).
  public func reload(_ configuration: TLSConfiguration, nowUnix: Int64) throws(TLSError) {
    let contexts = try Self.build(configuration)
    if let notAfter = contexts.server?.certificateNotAfter, notAfter < nowUnix {
      throw TLSError(
        .configuration,
        "the certificate in \(configuration.certificateFile ?? "") expired at \(notAfter) (Unix time)")
    }
    self.contexts.withLockedValue { $0 = contexts }
  }

  /// Checks that the files load and fit, without keeping anything; returns the
  /// certificate's `notAfter` (Unix seconds), if there is a certificate.
  @discardableResult
  public static func check(_ configuration: TLSConfiguration) throws(TLSError) -> Int64? {
    try Self.build(configuration).server?.certificateNotAfter
  }

  private static func build(_ configuration: TLSConfiguration) throws(TLSError) -> Contexts {
    let server =
      configuration.certificateFile == nil ? nil : try TLSContext(role: .server, configuration: configuration)
    let client = try TLSContext(role: .client, configuration: configuration)
    return Contexts(configuration: configuration, server: server, client: client)
  }

  public var configuration: TLSConfiguration { self.contexts.withLockedValue { $0.configuration } }

  /// The switch's certificate's `notAfter` (Unix seconds), if it has one.
  public var certificateNotAfter: Int64? {
    self.contexts.withLockedValue { $0.server?.certificateNotAfter }
  }

  var server: TLSContext? { self.contexts.withLockedValue { $0.server } }
  var client: TLSContext { self.contexts.withLockedValue { $0.client } }

  /// Replaces what servers reached over TLS must present, by destination
  /// (egress interconnects' names and pins, from each reference-data load).
  public func setPeers(_ peers: [Endpoint: TLSPeer]) {
    var byHostPort: [String: TLSPeer] = [:]
    for (endpoint, peer) in peers where endpoint.transport == .tls { byHostPort[endpoint.hostPort] = peer }
    self.peers.withLockedValue { $0 = byHostPort }
  }

  /// Replaces the rule of mutual TLS: for a source, the client certificates
  /// one of which it must present (by fingerprint, subject or subjectAltName;
  /// nil: none is asked for). A connection from such a source without one of
  /// them fails its handshake.
  public func setClientIdentities(_ required: @escaping @Sendable (Endpoint) -> [TLSClientIdentity]?) {
    self.clientIdentities.withLockedValue { $0 = required }
  }

  /// The client certificates `source` must present (one of them), if any.
  func requiredClientIdentities(_ source: Endpoint) -> [TLSClientIdentity]? {
    self.clientIdentities.withLockedValue { $0 }(source)
  }

  /// What `server` must present, if it was set.
  func peer(_ server: String) -> TLSPeer? {
    self.peers.withLockedValue { $0[server] }
  }

  /// The client context and the session to resume with `server`, if one is kept.
  func client(for server: String) -> (TLSContext, TLSSession?) {
    self.contexts.withLockedValue { ($0.client, $0.sessions[server]) }
  }

  /// Keeps `session` for the next connection to `server`.
  func keep(_ session: TLSSession, for server: String) {
    self.contexts.withLockedValue { contexts in
      if contexts.sessions[server] == nil, contexts.sessions.count >= Self.maxSessions {
        contexts.sessions.removeAll(keepingCapacity: true)
      }
      contexts.sessions[server] = session
    }
  }
}
