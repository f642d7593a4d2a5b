import SIPCore

/// One `registrar_bindings` row (Migration 0018): a contact bound to an
/// address of record, with where its REGISTER came from.
public struct RegistrationRow: Sendable, Equatable {
  public var addressOfRecord: String
  public var contact: String
  /// Milliseconds since the Unix epoch.
  public var expiresAtUnixMs: Int64
  public var qThousandths: Int?
  public var callID: String
  public var cseq: UInt32
  public var source: Endpoint
  /// The switch that wrote it (and holds its TCP/TLS connection).
  public var nodeID: String

  public init(
    addressOfRecord: String, contact: String, expiresAtUnixMs: Int64, qThousandths: Int?, callID: String,
    cseq: UInt32, source: Endpoint, nodeID: String
  ) {
    self.addressOfRecord = addressOfRecord
    self.contact = contact
    self.expiresAtUnixMs = expiresAtUnixMs
    self.qThousandths = qThousandths
    self.callID = callID
    self.cseq = cseq
    self.source = source
    self.nodeID = nodeID
  }
}

/// What one REGISTER changed for one address of record: rows to upsert and
/// contacts to delete.
public struct RegistrationWrite: Sendable, Equatable {
  public var addressOfRecord: String
  public var saved: [RegistrationRow]
  public var removed: [String]

  public init(addressOfRecord: String, saved: [RegistrationRow], removed: [String]) {
    self.addressOfRecord = addressOfRecord
    self.saved = saved
    self.removed = removed
  }
}
