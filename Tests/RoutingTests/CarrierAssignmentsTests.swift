import Testing

@testable import Routing

@Suite struct CarrierAssignmentsTests {
  struct Case: Sendable, CustomTestStringConvertible {
    var note: String
    var rows: [CarrierAssignments.Assignment]?
    var customer: CarrierAssignments.Customer
    var allowed: Bool

    var testDescription: String { note }
  }

  static let retail = CarrierAssignments.Customer(carrierID: "c-1", categoryID: "cat-retail", groupID: "g-eu")
  static let wholesale = CarrierAssignments.Customer(
    carrierID: "c-2", categoryID: "cat-wholesale", groupID: "g-us")
  static let bare = CarrierAssignments.Customer(carrierID: "c-3")

  static let cases: [Case] = [
    Case(note: "no rows: every customer", rows: nil, customer: retail, allowed: true),
    Case(note: "no rows: a customer without category or group", rows: nil, customer: bare, allowed: true),
    Case(note: "an empty list of rows: every customer", rows: [], customer: bare, allowed: true),
    Case(note: "all", rows: [.all], customer: bare, allowed: true),
    Case(
      note: "category listed", rows: [.categories(["cat-retail", "cat-x"])], customer: retail, allowed: true),
    Case(
      note: "category not listed", rows: [.categories(["cat-retail"])], customer: wholesale, allowed: false),
    Case(
      note: "category: customer without one", rows: [.categories(["cat-retail"])], customer: bare,
      allowed: false),
    Case(note: "group listed", rows: [.groups(["g-us"])], customer: wholesale, allowed: true),
    Case(note: "group not listed", rows: [.groups(["g-us"])], customer: retail, allowed: false),
    Case(note: "group: customer without one", rows: [.groups(["g-us"])], customer: bare, allowed: false),
    Case(note: "customer listed", rows: [.customers(["c-3", "c-9"])], customer: bare, allowed: true),
    Case(note: "customer not listed", rows: [.customers(["c-9"])], customer: retail, allowed: false),
    // A category id is not a group id nor a carrier id.
    Case(
      note: "kinds do not mix", rows: [.groups(["cat-retail"]), .customers(["g-eu"])], customer: retail,
      allowed: false),
    Case(
      note: "empty sets admit nobody", rows: [.categories([]), .groups([]), .customers([])], customer: retail,
      allowed: false),
    // Union of rows.
    Case(
      note: "union: by category", rows: [.categories(["cat-retail"]), .customers(["c-2"])], customer: retail,
      allowed: true),
    Case(
      note: "union: by customer", rows: [.categories(["cat-retail"]), .customers(["c-2"])],
      customer: wholesale, allowed: true),
    Case(
      note: "union: neither", rows: [.categories(["cat-retail"]), .customers(["c-2"])], customer: bare,
      allowed: false),
    Case(
      note: "union: by group", rows: [.customers(["c-9"]), .groups(["g-eu"])], customer: retail, allowed: true
    ),
    Case(note: "union with all", rows: [.customers(["c-9"]), .all], customer: wholesale, allowed: true),
  ]

  @Test(arguments: cases)
  func allows(_ c: Case) {
    let assignments = CarrierAssignments(
      c.rows.map { ["supplier": $0, "other": [.customers(["nobody"])]] } ?? [
        "other": [.customers(["nobody"])]
      ])
    #expect(assignments.allows(supplierCarrierID: "supplier", customer: c.customer) == c.allowed)
  }

  /// One supplier's rows say nothing about another's.
  @Test func rowsArePerSupplier() {
    let assignments = CarrierAssignments(["s-1": [.customers(["c-1"])], "s-2": [.groups(["g-us"])]])
    #expect(assignments.allows(supplierCarrierID: "s-1", customer: Self.retail))
    #expect(!assignments.allows(supplierCarrierID: "s-1", customer: Self.wholesale))
    #expect(!assignments.allows(supplierCarrierID: "s-2", customer: Self.retail))
    #expect(assignments.allows(supplierCarrierID: "s-2", customer: Self.wholesale))
    #expect(assignments.allows(supplierCarrierID: "s-3", customer: Self.bare))
    #expect(CarrierAssignments().allows(supplierCarrierID: "s-1", customer: Self.bare))
    #expect(CarrierAssignments().bySupplier.isEmpty)
  }
}
