/// An active `phone_numbers` row of a user: a number the switch presents as
/// that user's caller id and rings that user's phones for (on-net calls).
public struct PhoneNumber: Sendable, Equatable {
  public var id: String
  public var number: String
  public var userID: String
  public var isPrimary: Bool

  public init(id: String, number: String, userID: String, isPrimary: Bool = false) {
    self.id = id
    self.number = number
    self.userID = userID
    self.isPrimary = isPrimary
  }
}
