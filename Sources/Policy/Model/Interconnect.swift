import SIPCore

/// A row of `carrier_interconnects` (seed 001) with its transport addresses
/// from `interconnect_ip_addresses`.
public struct Interconnect: Sendable, Equatable {
  public var id: String
  public var carrierID: String
  public var shortCode: String?
  public var name: String
  public var direction: InterconnectDirection
  public var isActive: Bool
  /// Ingress: the Request-URI user must start with it; it is stripped before routing.
  public var techPrefix: String
  /// Egress: where calls to this interconnect are sent (`ip_address`, `sip_port`).
  public var host: String?
  public var sipPort: Int
  /// `transport` (addition to the seed): how calls reach it on egress, and
  /// the transport ingress calls must arrive on.
  public var transport: TransportKind
  public var capacityMode: CapacityMode
  public var capacityLimit: Int?
  /// Active `transport` addresses (media addresses are not used to identify calls).
  public var addresses: [InterconnectAddress]
  /// Egress: probed with OPTIONS (`options_probe`, migration 0023;
  /// docs/operations.md, "Supplier health").
  public var optionsProbe: Bool
  /// Seconds between probes (`options_probe_interval_seconds`); nil: the
  /// configured default (`health.probe_interval_ms`).
  public var optionsProbeIntervalSeconds: Int?
  /// Egress over TLS (Migration 0024): the name the supplier's certificate
  /// must carry (sent as SNI); nil: its IP address.
  public var tlsServerName: String? = nil
  /// Egress over TLS (Migration 0024): the supplier certificate's SHA-256
  /// (hex); when set, exactly that certificate is accepted.
  public var tlsFingerprintSHA256: String? = nil
  /// Ingress over TLS (Migration 0024, mutual TLS): the SHA-256 (hex) of the
  /// client certificate connections from its addresses must present.
  public var tlsClientFingerprintSHA256: String? = nil
  /// Ingress over TLS (Migration 0025, mutual TLS): the subject (RFC 2253
  /// form) the client certificate must have; its chain must verify against
  /// `tls.ca_file`.
  public var tlsClientSubject: DistinguishedName? = nil
  /// Ingress over TLS (Migration 0025, mutual TLS): a subjectAltName entry
  /// the client certificate must carry; its chain must verify against
  /// `tls.ca_file`.
  public var tlsClientSubjectAltName: SubjectAltName? = nil

  /// Whether connections from its addresses must present a client certificate.
  public var requiresClientCertificate: Bool {
    tlsClientFingerprintSHA256 != nil || tlsClientSubject != nil || tlsClientSubjectAltName != nil
  }

  public init(
    id: String, carrierID: String, shortCode: String? = nil, name: String, direction: InterconnectDirection,
    isActive: Bool = true, techPrefix: String = "", host: String? = nil, sipPort: Int = 5060,
    transport: TransportKind = .udp, capacityMode: CapacityMode = .unrestricted, capacityLimit: Int? = nil,
    addresses: [InterconnectAddress] = [], optionsProbe: Bool = false, optionsProbeIntervalSeconds: Int? = nil
  ) {
    self.optionsProbe = optionsProbe
    self.optionsProbeIntervalSeconds = optionsProbeIntervalSeconds
    self.id = id
    self.carrierID = carrierID
    self.shortCode = shortCode
    self.name = name
    self.direction = direction
    self.isActive = isActive
    self.techPrefix = techPrefix
    self.host = host
    self.sipPort = sipPort
    self.transport = transport
    self.capacityMode = capacityMode
    self.capacityLimit = capacityLimit
    self.addresses = addresses
  }

  /// Where egress calls go, when `host` is set.
  public var egressEndpoint: Endpoint? {
    host.map { Endpoint(transport: transport, host: $0, port: sipPort) }
  }
}
