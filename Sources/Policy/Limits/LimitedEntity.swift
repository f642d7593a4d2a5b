/// What a CPS or capacity limit belongs to; its name starts the reason
/// phrase of the refusal ("Interconnect CPS Limit Exceeded", "Carrier At Capacity").
public enum LimitedEntity: String, Sendable, CaseIterable {
  case carrier = "Carrier"
  case interconnect = "Interconnect"
  case service = "Service"
}
