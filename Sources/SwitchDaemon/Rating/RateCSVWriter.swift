import Proxy
import Routing

/// The rate command's output: CSV with a header, one `customer` row per
/// priced call, then for an ingress service one `supplier` row per egress
/// service in the order the switch would try them (`rank` 1, 2, ...) and a
/// `skipped` row per service it would leave out (`note` says why); a call
/// the switch would refuse is one `refused` row (`note`: status and reason).
/// The columns are documented in docs/rating.md and only ever added to at
/// the end. When every supplier is skipped, a `refused` row follows the
/// `skipped` ones with the refusal the switch would answer. Rows are appended to a byte buffer the caller flushes.
public enum RateCSVWriter {
  public static let header =
    "line,id,row,rank,service,rating_plan,prefix,time_class,rate_per_minute,connection_fee,"
    + "billable_seconds,amount,currency,margin,note"

  /// Appends the rows of `priced`, read from input line `line` (nil: flags).
  public static func append(_ priced: PricedCall, line: Int?, to output: inout [UInt8]) {
    let lead = "\(line.map(String.init) ?? ""),\(priced.call.id)"
    let durationMs = priced.call.durationMs
    let inputService: String
    if case .service(let id) = priced.call.pricing { inputService = id } else { inputService = "" }
    switch priced.outcome {
    case .refused(let status, let reason):
      row(lead, "refused", "", inputService, nil, nil, nil, "\(status) \(reason)", &output)
    case .rated(let customer, let route):
      let charge = customer?.charge(durationMs: durationMs)
      row(
        lead, "customer", "", inputService, customer, charge, nil, customer == nil ? "unrated" : "", &output)
      guard let route else { return }
      for (index, supplier) in route.suppliers.enumerated() {
        let charges = CallRating(customer: customer, supplier: supplier.quote).charges(durationMs: durationMs)
        row(
          lead, "supplier", "\(index + 1)", supplier.serviceID, supplier.quote, charges.supplier,
          charges.margin,
          supplier.quote == nil ? "unrated" : "", &output)
      }
      for skipped in route.skipped {
        let charges = CallRating(customer: customer, supplier: skipped.quote).charges(durationMs: durationMs)
        row(
          lead, "skipped", "", skipped.serviceID, skipped.quote, charges.supplier, charges.margin,
          skipped.reason.rawValue, &output)
      }
      if let refusal = route.refusal {
        row(lead, "refused", "", inputService, nil, nil, nil, "\(refusal.status) \(refusal.reason)", &output)
      }
    }
  }

  private static func row(
    _ lead: String, _ kind: String, _ rank: String, _ service: String, _ quote: RateQuote?, _ charge: Charge?,
    _ margin: Money?, _ note: String, _ output: inout [UInt8]
  ) {
    var text = lead
    text += ",\(kind),\(rank),\(service),"
    if let quote {
      text += "\(quote.ratingPlanID),\(quote.prefix),\(quote.timeClass ?? ""),\(quote.ratePerMinute),"
      text += "\(quote.connectionFee),"
    } else {
      text += ",,,,,"
    }
    if let charge, let quote {
      text += "\(charge.billableSeconds),\(charge.amount),\(quote.currency),"
    } else {
      text += ",,,"
    }
    text += margin.map { "\($0)" } ?? ""
    text += ",\(note)\n"
    output.append(contentsOf: text.utf8)
  }
}
