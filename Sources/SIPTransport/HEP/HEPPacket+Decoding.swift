/// Why bytes are not a HEP v3 packet this decoder reads.
public enum HEPDecodingError: Error, Sendable, Equatable {
  case notHEP3
  case lengthMismatch(said: Int, got: Int)
  case truncatedChunk(at: Int)
  case badChunkValue(type: UInt16)
  case missingChunk(type: UInt16)
}

extension HEPPacket {
  /// Reads one packet (the whole datagram): every chunk of vendor 0 that
  /// `encoded()` writes; chunks of other vendors or types are skipped, as a
  /// collector does. Throws on anything malformed, never reads past the end.
  public init(decoding bytes: [UInt8]) throws(HEPDecodingError) {
    guard bytes.count >= 6, bytes[0..<4].elementsEqual("HEP3".utf8) else { throw .notHEP3 }
    let said = Int(bytes[4]) << 8 | Int(bytes[5])
    guard said == bytes.count else { throw .lengthMismatch(said: said, got: bytes.count) }
    var chunks: [UInt16: [UInt8]] = [:]
    var index = 6
    while index < bytes.count {
      guard index + 6 <= bytes.count else { throw .truncatedChunk(at: index) }
      let vendor = UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1])
      let type = UInt16(bytes[index + 2]) << 8 | UInt16(bytes[index + 3])
      let length = Int(bytes[index + 4]) << 8 | Int(bytes[index + 5])
      guard length >= 6, index + length <= bytes.count else { throw .truncatedChunk(at: index) }
      if vendor == 0 { chunks[type] = Array(bytes[(index + 6)..<(index + length)]) }
      index += length
    }
    func value(_ chunk: Chunk, count: Int? = nil) throws(HEPDecodingError) -> [UInt8] {
      guard let value = chunks[chunk.rawValue] else { throw .missingChunk(type: chunk.rawValue) }
      if let count, value.count != count { throw .badChunkValue(type: chunk.rawValue) }
      return value
    }
    let family = try value(.ipFamily, count: 1)[0]
    guard family == Self.familyIPv4 || family == Self.familyIPv6 else {
      throw .badChunkValue(type: Chunk.ipFamily.rawValue)
    }
    let v6 = family == Self.familyIPv6
    self.init(
      sourceIP: try value(v6 ? .ipv6Source : .ipv4Source, count: v6 ? 16 : 4),
      destinationIP: try value(v6 ? .ipv6Destination : .ipv4Destination, count: v6 ? 16 : 4),
      sourcePort: Self.uint16(try value(.sourcePort, count: 2)),
      destinationPort: Self.uint16(try value(.destinationPort, count: 2)),
      ipProtocol: try value(.ipProtocol, count: 1)[0],
      seconds: Self.uint32(try value(.seconds, count: 4)),
      microseconds: Self.uint32(try value(.microseconds, count: 4)),
      protocolType: try value(.protocolType, count: 1)[0],
      captureID: Self.uint32(try value(.captureID, count: 4)),
      payload: try value(.payload),
      correlationID: chunks[Chunk.correlationID.rawValue].map { String(decoding: $0, as: UTF8.self) })
  }

  static func uint16(_ b: [UInt8]) -> UInt16 { UInt16(b[0]) << 8 | UInt16(b[1]) }
  static func uint32(_ b: [UInt8]) -> UInt32 {
    UInt32(b[0]) << 24 | UInt32(b[1]) << 16 | UInt32(b[2]) << 8 | UInt32(b[3])
  }
}
