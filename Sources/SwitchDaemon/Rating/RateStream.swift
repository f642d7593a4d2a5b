import Proxy
import Store

/// The rate command's CSV loop: reads calls line by line, prices each and
/// writes its rows, keeping nothing between lines (constant memory). A bad
/// line is reported, naming it, and the loop goes on with the next.
public struct RateStream {
  public let pricer: CallPricer
  /// Output is handed to `write` in chunks of about this many bytes.
  public var chunkSize = 1 << 16

  public init(pricer: CallPricer) { self.pricer = pricer }

  /// Reads the header and the calls from `readLine` until it returns nil;
  /// returns how many lines failed (0: all priced). `report` gets each
  /// error's one-line description.
  public func run(
    readLine: () -> String?, write: ([UInt8]) -> Void, report: (RateInputError) -> Void
  ) -> Int {
    guard let headerLine = readLine() else {
      report(
        RateInputError(line: 1, problem: .init(field: "header", text: "no input: the CSV has no header line"))
      )
      return 1
    }
    let reader: RateCSVReader
    do {
      reader = try RateCSVReader(header: headerLine)
    } catch {
      report(error)
      return 1
    }
    var output: [UInt8] = []
    output.reserveCapacity(chunkSize + 4096)
    output.append(contentsOf: (RateCSVWriter.header + "\n").utf8)
    var failures = 0
    var lineNumber = 1
    while let line = readLine() {
      lineNumber += 1
      guard let parsed = reader.call(line, lineNumber: lineNumber) else { continue }
      switch parsed.flatMap({ call in
        pricer.price(call).mapError { RateInputError(line: lineNumber, problem: $0) }
      }) {
      case .success(let priced): RateCSVWriter.append(priced, line: lineNumber, to: &output)
      case .failure(let error):
        failures += 1
        report(error)
      }
      if output.count >= chunkSize {
        write(output)
        output.removeAll(keepingCapacity: true)
      }
    }
    if !output.isEmpty { write(output) }
    return failures
  }

  /// Loads the reference data as the daemon does (`ReferenceDataLoader`)
  /// and builds the snapshot calls are priced on.
  public static func loadSnapshot(databaseURL: String) throws -> Snapshot {
    let connection = try PGConnection(url: databaseURL)
    return snapshot(try ReferenceDataLoader().load(from: connection))
  }

  /// The snapshot of `data`, built as the daemon builds it on every load.
  public static func snapshot(_ data: ReferenceData) -> Snapshot {
    Snapshot(
      carriers: data.carriers, interconnects: data.interconnects, services: data.services,
      routingPlans: data.routingPlans, policies: data.policies, ratingPlans: data.ratingPlans,
      currencies: data.currencies, assignments: data.assignments, sipCredentials: data.sipCredentials)
  }
}
