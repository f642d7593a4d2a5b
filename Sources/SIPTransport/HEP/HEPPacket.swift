import NIOCore

/// One HEP v3 packet (the Homer Encapsulation Protocol, version 3): a copy
/// of one SIP message with where it went and when, as capture collectors
/// (Homer's heplify-server, sngrep -L) read it. Encoded as the "HEP3" magic,
/// the total length (16 bits, network order), then chunks of vendor 0:
/// type, length (both 16 bits, the 6-byte chunk header included), value.
///
/// Chunks written: 0x0001 IP family (2 IPv4, 10 IPv6), 0x0002 IP protocol
/// (17 UDP, 6 TCP), 0x0003/0x0004 IPv4 or 0x0005/0x0006 IPv6 source and
/// destination, 0x0007/0x0008 ports, 0x0009/0x000a time (seconds,
/// microseconds), 0x000b protocol type (1 SIP), 0x000c capture agent id,
/// 0x000f the message, 0x0011 the correlation id (the Call-ID).
public struct HEPPacket: Sendable, Equatable {
  public enum Chunk: UInt16 {
    case ipFamily = 0x0001
    case ipProtocol = 0x0002
    case ipv4Source = 0x0003
    case ipv4Destination = 0x0004
    case ipv6Source = 0x0005
    case ipv6Destination = 0x0006
    case sourcePort = 0x0007
    case destinationPort = 0x0008
    case seconds = 0x0009
    case microseconds = 0x000a
    case protocolType = 0x000b
    case captureID = 0x000c
    case payload = 0x000f
    case correlationID = 0x0011
  }

  public static let familyIPv4: UInt8 = 2
  public static let familyIPv6: UInt8 = 10
  public static let protocolUDP: UInt8 = 17
  public static let protocolTCP: UInt8 = 6
  public static let typeSIP: UInt8 = 1
  /// The largest packet the 16-bit length can say.
  public static let maximumLength = 65535

  /// 4 bytes (IPv4) or 16 (IPv6), network order; both the same family.
  public var sourceIP: [UInt8]
  public var destinationIP: [UInt8]
  public var sourcePort: UInt16
  public var destinationPort: UInt16
  /// `protocolUDP` or `protocolTCP`.
  public var ipProtocol: UInt8
  public var seconds: UInt32
  public var microseconds: UInt32
  public var protocolType: UInt8
  public var captureID: UInt32
  public var payload: [UInt8]
  public var correlationID: String?

  public init(
    sourceIP: [UInt8], destinationIP: [UInt8], sourcePort: UInt16, destinationPort: UInt16, ipProtocol: UInt8,
    seconds: UInt32, microseconds: UInt32, protocolType: UInt8 = HEPPacket.typeSIP, captureID: UInt32,
    payload: [UInt8], correlationID: String? = nil
  ) {
    self.sourceIP = sourceIP
    self.destinationIP = destinationIP
    self.sourcePort = sourcePort
    self.destinationPort = destinationPort
    self.ipProtocol = ipProtocol
    self.seconds = seconds
    self.microseconds = microseconds
    self.protocolType = protocolType
    self.captureID = captureID
    self.payload = payload
    self.correlationID = correlationID
  }

  public var isIPv6: Bool { sourceIP.count == 16 }

  /// The encoded length: header, fixed chunks, addresses, payload, correlation id.
  public var encodedLength: Int {
    Self.encodedLength(
      addressBytes: sourceIP.count, payload: payload.count, correlationID: correlationID?.utf8.count)
  }

  static func encodedLength(addressBytes: Int, payload: Int, correlationID: Int?) -> Int {
    6 + 7 + 7 + 2 * (6 + addressBytes) + 8 + 8 + 10 + 10 + 7 + 10 + (6 + payload)
      + (correlationID.map { 6 + $0 } ?? 0)
  }

  /// The packet's bytes; nil when it is longer than 65535 bytes (a HEP
  /// length cannot say so) or the addresses are not 4 or 16 bytes each.
  public func encoded() -> [UInt8]? {
    var buffer = ByteBufferAllocator().buffer(capacity: encodedLength)
    let written = payload.withUnsafeBytes { payload in
      Array((correlationID ?? "").utf8).withUnsafeBytes { id in
        write(into: &buffer, payload: payload, correlationID: correlationID == nil ? nil : id)
      }
    }
    return written ? Array(buffer.readableBytesView) : nil
  }

  /// Writes the packet with `payload` and `correlationID` in place of its
  /// own (the capture path copies a message once, into the packet); false,
  /// and nothing written, when it cannot be encoded (see `encoded()`).
  func write(
    into out: inout ByteBuffer, payload: UnsafeRawBufferPointer, correlationID: UnsafeRawBufferPointer?
  ) -> Bool {
    let length = Self.encodedLength(
      addressBytes: sourceIP.count, payload: payload.count, correlationID: correlationID?.count)
    guard length <= Self.maximumLength, sourceIP.count == destinationIP.count,
      sourceIP.count == 4 || sourceIP.count == 16
    else { return false }
    out.writeString("HEP3")
    out.writeInteger(UInt16(length))
    Self.chunk(&out, .ipFamily, isIPv6 ? Self.familyIPv6 : Self.familyIPv4)
    Self.chunk(&out, .ipProtocol, ipProtocol)
    Self.chunk(&out, isIPv6 ? .ipv6Source : .ipv4Source, bytes: sourceIP)
    Self.chunk(&out, isIPv6 ? .ipv6Destination : .ipv4Destination, bytes: destinationIP)
    Self.chunk(&out, .sourcePort, sourcePort)
    Self.chunk(&out, .destinationPort, destinationPort)
    Self.chunk(&out, .seconds, seconds)
    Self.chunk(&out, .microseconds, microseconds)
    Self.chunk(&out, .protocolType, protocolType)
    Self.chunk(&out, .captureID, captureID)
    Self.chunk(&out, .payload, bytes: payload)
    if let correlationID { Self.chunk(&out, .correlationID, bytes: correlationID) }
    return true
  }

  /// A chunk of vendor 0 holding one integer, in network order.
  static func chunk<T: FixedWidthInteger>(_ out: inout ByteBuffer, _ type: Chunk, _ value: T) {
    out.writeInteger(UInt16(0))
    out.writeInteger(type.rawValue)
    out.writeInteger(UInt16(6 + MemoryLayout<T>.size))
    out.writeInteger(value)
  }

  static func chunk(_ out: inout ByteBuffer, _ type: Chunk, bytes: some Collection<UInt8>) {
    out.writeInteger(UInt16(0))
    out.writeInteger(type.rawValue)
    out.writeInteger(UInt16(6 + bytes.count))
    out.writeBytes(bytes)
  }

  static func chunk(_ out: inout ByteBuffer, _ type: Chunk, bytes: UnsafeRawBufferPointer) {
    out.writeInteger(UInt16(0))
    out.writeInteger(type.rawValue)
    out.writeInteger(UInt16(6 + bytes.count))
    out.writeBytes(bytes)
  }
}
