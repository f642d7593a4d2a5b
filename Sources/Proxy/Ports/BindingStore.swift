import SIPCore

/// The registrar's port to shared storage of its bindings (docs/registrar.md
/// "Bindings that last"): what each accepted REGISTER changed goes out
/// through it, so a restarted switch, or another switch on the same
/// database, can reach the phone. The softswitch implements it over
/// PostgreSQL (SwitchDaemon's `BindingSync`, off the event loop); flow tests
/// use one in memory. With no store set, bindings live in memory only.
///
/// Called on the core's thread: an implementation must not block (queue the
/// write), and a store that is down must not stop REGISTER being answered.
public protocol BindingStore: AnyObject {
  /// One accepted REGISTER's change to its address of record.
  func changed(_ change: BindingChange)
}

/// What one REGISTER changed: the contacts it bound or refreshed, and the
/// ones it removed (`Expires: 0`, or every binding for `Contact: *`).
public struct BindingChange: Sendable, Equatable {
  /// `sip:user@host` (`Registrar.addressOfRecord`).
  public var addressOfRecord: String
  /// The bindings this REGISTER created or refreshed, with wall-clock expiries.
  public var saved: [StoredBinding]
  /// The contacts this REGISTER removed.
  public var removed: [String]

  public init(addressOfRecord: String, saved: [StoredBinding], removed: [String]) {
    self.addressOfRecord = addressOfRecord
    self.saved = saved
    self.removed = removed
  }
}

/// A binding as stored: `Registrar.Binding` with its expiry on the wall
/// clock (a monotonic time means nothing to another process).
public struct StoredBinding: Sendable, Equatable {
  public var contact: String
  /// Milliseconds since the Unix epoch.
  public var expiresAtUnixMs: Int64
  public var qThousandths: Int?
  public var callID: String
  public var cseq: UInt32
  /// Where the REGISTER came from, and over which transport: a phone behind
  /// NAT is reached there, a TCP/TLS binding over that connection while it lasts.
  public var source: Endpoint

  public init(
    contact: String, expiresAtUnixMs: Int64, qThousandths: Int?, callID: String, cseq: UInt32,
    source: Endpoint
  ) {
    self.contact = contact
    self.expiresAtUnixMs = expiresAtUnixMs
    self.qThousandths = qThousandths
    self.callID = callID
    self.cseq = cseq
    self.source = source
  }
}
