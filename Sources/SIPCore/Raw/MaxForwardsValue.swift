/// The value of a Max-Forwards header field as libosip2 keeps it (a C
/// string), read from its bytes: spaces and tabs around it, an optional
/// sign, digits; a number in 0...255 or nil. It reads what
/// `Int(String(cString:).trimmingWhitespace())` read, without making a
/// String: the proxy reads the field of every request it forwards twice
/// (the 483 check and the decrement).
enum MaxForwardsValue {
  static func parse(_ text: UnsafePointer<CChar>) -> Int? {
    var index = 0
    while isBlank(text[index]) { index += 1 }
    var negative = false
    if text[index] == 0x2B || text[index] == 0x2D {  // + -
      negative = text[index] == 0x2D
      index += 1
    }
    var number = 0
    var digits = 0
    while text[index] >= 0x30, text[index] <= 0x39 {
      if number <= 255 { number = number * 10 + Int(text[index] - 0x30) }
      digits += 1
      index += 1
    }
    while isBlank(text[index]) { index += 1 }
    guard text[index] == 0, digits > 0, number <= 255, !negative || number == 0 else { return nil }
    return number
  }

  private static func isBlank(_ byte: CChar) -> Bool { byte == 0x20 || byte == 0x09 }
}
