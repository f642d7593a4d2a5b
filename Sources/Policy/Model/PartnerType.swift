/// Seed enum `carrier_partner_type`.
public enum PartnerType: String, Sendable, CaseIterable {
  case customer
  case supplier
  case bilateral
}
