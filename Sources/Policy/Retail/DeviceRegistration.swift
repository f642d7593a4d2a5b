/// A softphone's digest credentials (`device_registrations`, migration
/// 0013): the SIP username is the digest username and the user part of the
/// address of record it registers; the row names the user who pays.
public struct DeviceRegistration: Sendable, Equatable {
  public var sipUsername: String
  public var sipPassword: String
  /// `device_registrations.is_active`.
  public var isActive: Bool
  public var userID: String

  public init(sipUsername: String, sipPassword: String, isActive: Bool = true, userID: String) {
    self.sipUsername = sipUsername
    self.sipPassword = sipPassword
    self.isActive = isActive
    self.userID = userID
  }
}
