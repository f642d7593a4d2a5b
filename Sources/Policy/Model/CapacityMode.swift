/// Seed enum `capacity_mode`.
public enum CapacityMode: String, Sendable, CaseIterable {
  case unrestricted
  case capped
}
