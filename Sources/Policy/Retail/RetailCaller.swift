/// The user an INVITE proved itself to be (digest authentication, RFC 3261
/// §22.3): the device whose credentials it answered with, and its user.
public struct RetailCaller: Sendable, Equatable {
  public var device: DeviceRegistration
  public var user: RetailUser

  public init(device: DeviceRegistration, user: RetailUser) {
    self.device = device
    self.user = user
  }
}
