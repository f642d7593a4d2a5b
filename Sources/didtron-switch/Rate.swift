import ArgumentParser
import Glibc
import Proxy
import Store
import SwitchDaemon

/// `didtron-switch rate`: prices calls with the daemon's own loader and
/// rating code (docs/rating.md, "The rate command").
struct Rate: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Price calls as the switch would, or re-rate stored calls (CSV out).",
    discussion: """
      One call from --plan or --service, --number, --start and --duration-ms; or, without \
      them, a CSV of calls on stdin (header: [id,]plan|service,number,start,duration_ms). \
      --rerate --from T --to T prices the stored calls of a period again and prints those \
      whose price differs. Exits 1 if any line failed (each named on stderr). The database \
      URL comes from --database-url, else DIDTRON_DATABASE_URL, else database.url of --config.
      """)

  @Option(
    help: ArgumentHelp("The configuration file; only its [database] section is read.", valueName: "file"))
  var config: String?

  @Option(help: ArgumentHelp("The database (database.url).", valueName: "postgresql://..."))
  var databaseURL: String?

  @Option(help: ArgumentHelp("A rating plan (customer_rating_plans.id).", valueName: "id"))
  var plan: String?

  @Option(
    help: ArgumentHelp("An ingress carrier service: its rating plan and routing plan.", valueName: "id"))
  var service: String?

  @Option(help: ArgumentHelp("The called number as routed.", valueName: "digits"))
  var number: String?

  @Option(help: ArgumentHelp("The call's start, an ISO-8601 instant with its zone.", valueName: "instant"))
  var start: String?

  @Option(help: ArgumentHelp("From answer to end; omit for an unanswered call.", valueName: "ms"))
  var durationMs: String?

  @Option(help: ArgumentHelp("Seeds weighted route order.", valueName: "n"))
  var seed: UInt64 = 0

  @Flag(help: "Re-price the stored calls that started in [--from, --to) and print those whose price differs.")
  var rerate = false

  @Option(help: ArgumentHelp("With --rerate: the period's start (ISO-8601 instant).", valueName: "instant"))
  var from: String?

  @Option(help: ArgumentHelp("With --rerate: the period's end, excluded.", valueName: "instant"))
  var to: String?

  func run() throws {
    let url = try DatabaseURLOption.resolve(config: config, databaseURL: databaseURL)
    let snapshot: Snapshot
    do {
      snapshot = try RateStream.loadSnapshot(databaseURL: url)
    } catch {
      printToStandardError("didtron-switch: \(error)")
      throw ExitCode.failure
    }
    if rerate {
      try runRerate(snapshot, url)
    } else if plan != nil || service != nil || number != nil || start != nil || durationMs != nil {
      try runOneCall(snapshot)
    } else {
      let stream = RateStream(pricer: CallPricer(snapshot: snapshot, randomSeed: seed))
      let failures = stream.run(
        readLine: { Swift.readLine(strippingNewline: true) }, write: writeToStandardOutput,
        report: { printToStandardError("didtron-switch: \($0)") })
      if failures > 0 {
        printToStandardError("didtron-switch: \(failures) line(s) failed")
        throw ExitCode.failure
      }
    }
  }

  private func runOneCall(_ snapshot: Snapshot) throws {
    let priced = RateCall.fromFlags(
      plan: plan, service: service, number: number, start: start, durationMs: durationMs
    ).flatMap { call in
      CallPricer(snapshot: snapshot, randomSeed: seed).price(call).mapError {
        RateInputError(line: nil, problem: .init(field: "--\($0.field)", text: $0.text))
      }
    }
    switch priced {
    case .success(let priced):
      var output = Array((RateCSVWriter.header + "\n").utf8)
      RateCSVWriter.append(priced, line: nil, to: &output)
      writeToStandardOutput(output)
    case .failure(let error):
      printToStandardError("didtron-switch: \(error)")
      throw ExitCode.failure
    }
  }

  private func runRerate(_ snapshot: Snapshot, _ url: String) throws {
    guard let from, let to else {
      printToStandardError("didtron-switch: --rerate needs --from and --to")
      throw ExitCode.failure
    }
    guard let fromMs = ISO8601Instant.unixMs(from) else {
      printToStandardError("didtron-switch: --from: not an ISO-8601 instant with a zone (\"\(from)\")")
      throw ExitCode.failure
    }
    guard let toMs = ISO8601Instant.unixMs(to) else {
      printToStandardError("didtron-switch: --to: not an ISO-8601 instant with a zone (\"\(to)\")")
      throw ExitCode.failure
    }
    let rerater = Rerater(snapshot: snapshot)
    var output = Array((Rerater.header + "\n").utf8)
    do {
      let connection = try PGConnection(url: url)
      try StoredCallRatings().forEach(in: connection, fromUnixMs: fromMs, toUnixMs: toMs) { call in
        for difference in rerater.differences(call) {
          output.append(contentsOf: (Rerater.line(difference) + "\n").utf8)
        }
        if output.count >= 1 << 16 {
          writeToStandardOutput(output)
          output.removeAll(keepingCapacity: true)
        }
      }
    } catch {
      writeToStandardOutput(output)
      printToStandardError("didtron-switch: \(error)")
      throw ExitCode.failure
    }
    writeToStandardOutput(output)
  }
}

/// Writes all of `bytes` to stdout (a closed pipe ends the command).
func writeToStandardOutput(_ bytes: [UInt8]) {
  bytes.withUnsafeBytes { buffer in
    var offset = 0
    while offset < buffer.count {
      let written = write(STDOUT_FILENO, buffer.baseAddress! + offset, buffer.count - offset)
      if written < 0 {
        if errno == EINTR { continue }
        exit(1)
      }
      offset += written
    }
  }
}
