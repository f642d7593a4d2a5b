import Foundation

@testable import SIPCore

/// The RFC 4475 torture messages, copied byte-exact from shared/conformance/rfc4475.
enum Corpus {
  static let directory = Bundle.module.resourceURL!.appendingPathComponent("Fixtures")

  static func bytes(_ name: String) -> [UInt8] {
    [UInt8](try! Data(contentsOf: directory.appendingPathComponent(name)))
  }

  /// Manifest rows: name -> category.
  static let manifest: [String: String] = {
    let text = try! String(contentsOf: directory.appendingPathComponent("MANIFEST.tsv"), encoding: .utf8)
    var rows: [String: String] = [:]
    for line in text.split(separator: "\n").dropFirst() {
      let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
      rows[String(fields[0])] = String(fields[2])
    }
    return rows
  }()

  static let source = Endpoint(transport: .udp, host: "192.0.2.99", port: 5099)

  static func decode(_ name: String, isDatagram: Bool = true) -> InboundDecision {
    bytes(name).withUnsafeBytes { InboundDecoder().decode($0, isDatagram: isDatagram, source: source) }
  }
}
