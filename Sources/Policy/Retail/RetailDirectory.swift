/// The users who call through this switch from softphones, by what a call
/// names them with: a digest username (the caller) or a dialled number (an
/// on-net callee). Built once per reference-data snapshot; immutable.
public struct RetailDirectory: Sendable {
  private let devices: [String: DeviceRegistration]
  private let users: [String: RetailUser]
  /// Active numbers of users -> the user's id.
  private let numberOwners: [String: String]
  /// A user's devices' SIP usernames, sorted.
  private let usernames: [String: [String]]
  /// Every `phone_numbers` row by number, with its call rules: the DIDs
  /// that inbound calls are delivered to (docs/dids.md).
  public let dids: DIDDirectory

  /// `numbers`: the active `phone_numbers` rows of users. Each user's
  /// caller number is its primary number (the lowest id among several),
  /// else its active number with the lowest id.
  public init(
    users: [RetailUser] = [], devices: [DeviceRegistration] = [], numbers: [PhoneNumber] = [],
    dids: DIDDirectory = DIDDirectory()
  ) {
    self.dids = dids
    var byID = Dictionary(users.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
    var owners: [String: String] = [:]
    for number in numbers.sorted(by: Self.callerOrder) where byID[number.userID] != nil {
      owners[number.number] = number.userID
      if byID[number.userID]?.callerNumber == nil { byID[number.userID]?.callerNumber = number }
    }
    self.users = byID
    numberOwners = owners
    self.devices = Dictionary(devices.map { ($0.sipUsername, $0) }, uniquingKeysWith: { _, last in last })
    var names: [String: [String]] = [:]
    for device in devices where device.isActive {
      names[device.userID, default: []].append(device.sipUsername)
    }
    usernames = names.mapValues { $0.sorted() }
  }

  /// Primary first, then by id (numerically when both are integers).
  private static func callerOrder(_ a: PhoneNumber, _ b: PhoneNumber) -> Bool {
    if a.isPrimary != b.isPrimary { return a.isPrimary }
    if let x = Int64(a.id), let y = Int64(b.id), x != y { return x < y }
    return a.id < b.id
  }

  public var deviceCount: Int { devices.count }

  /// The device with this digest username (active or not).
  public func device(named username: String) -> DeviceRegistration? { devices[username] }

  /// The user a device belongs to (nil when its row was not loaded).
  public func user(id: String) -> RetailUser? { users[id] }

  /// The user whose active number this is (an on-net callee).
  public func owner(ofNumber number: String) -> RetailUser? { numberOwners[number].flatMap { users[$0] } }

  /// The owner of a DID by user id (an owner without devices too).
  public func owner(ofDID userID: String) -> RetailUser? { dids.owner(id: userID) ?? users[userID] }

  /// The SIP usernames of a user's active devices.
  public func usernames(ofUser id: String) -> [String] { usernames[id] ?? [] }
}
