/// The To tag of a final response the switch sends with no transaction (a
/// shed INVITE's 503, docs/overload.md): made from the request's top Via
/// branch and its Call-ID, so that the ACK which carries it back (RFC 3261
/// §17.1.1.3: the INVITE's branch and the response's To) is recognised from
/// its bytes and absorbed, with no state kept between the two.
///
/// A message that merely looks like such an ACK (the prefix without the
/// right digest) is not one: it goes the usual way.
public enum StatelessReplyTag {
  public static let prefix = "sl-"

  /// `sl-` and 16 hex digits of a 64-bit FNV-1a digest of the branch and the Call-ID.
  public static func make<Branch: Collection<UInt8>, CallID: Collection<UInt8>>(
    branch: Branch, callID: CallID
  ) -> String {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in branch {
      hash ^= UInt64(byte)
      hash = hash &* 0x100_0000_01B3
    }
    hash ^= 0xFF
    hash = hash &* 0x100_0000_01B3
    for byte in callID {
      hash ^= UInt64(byte)
      hash = hash &* 0x100_0000_01B3
    }
    let digits = String(hash, radix: 16)
    return prefix + String(repeating: "0", count: 16 - digits.count) + digits
  }

  /// Whether a To value may carry a tag: `tag` anywhere in it, in any case.
  /// A request whose To does is not answered statelessly: it may belong to
  /// a dialog (a re-INVITE is never shed), whatever the sniff took it for.
  public static func mayCarryTag(_ value: UnsafeRawBufferPointer.SubSequence) -> Bool {
    guard value.count >= 3 else { return false }
    var index = value.startIndex
    while index + 3 <= value.endIndex {
      if value[index] | 0x20 == UInt8(ascii: "t"), value[index + 1] | 0x20 == UInt8(ascii: "a"),
        value[index + 2] | 0x20 == UInt8(ascii: "g")
      {
        return true
      }
      index += 1
    }
    return false
  }

  /// Whether `bytes` are an ACK whose To carries the tag `make` gives for
  /// its own top Via branch and Call-ID.
  public static func isAckOfStatelessReply(_ bytes: UnsafeRawBufferPointer) -> Bool {
    guard bytes.count > 4, bytes[0] == 0x41, bytes[1] == 0x43, bytes[2] == 0x4B, bytes[3] == 0x20 else {
      return false
    }
    let head = RawSIPHead(scanning: bytes)
    guard let to = head.to, let callID = head.callID, let top = head.vias.first,
      let branch = RawTopVia(bytes[top])?.branch
    else { return false }
    let expected = Array((";tag=" + make(branch: branch.utf8, callID: bytes[callID])).utf8)
    // The UAC copies the response's To (the tag is at its end), but it may
    // have moved the parameters around: found anywhere, it counts.
    let value = bytes[to]
    guard value.count >= expected.count else { return false }
    var start = value.startIndex
    while start + expected.count <= value.endIndex {
      if value[start] == expected[0], value[start..<(start + expected.count)].elementsEqual(expected) {
        return true
      }
      start += 1
    }
    return false
  }
}
