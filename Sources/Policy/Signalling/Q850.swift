/// ITU-T Q.850 cause values for SIP final statuses, for `Reason` headers (RFC 3326).
public enum Q850 {
  /// The Q.850 cause for a SIP final status, `nil` when none fits.
  ///
  /// RFC 3398 §8.2.6.1 (a 4xx-6xx response received by a gateway), plus common practice
  /// where the RFC leaves the value to a Warning header: 488 and 606 are 88
  /// (Incompatible destination). 487 has none: the caller cancelled, nothing to report.
  /// 3xx and the statuses the RFC does not list have none either.
  public static func cause(forSIPStatus status: Int) -> Int? {
    switch status {
    case 400: 41
    case 401, 402, 403, 407: 21
    case 404, 485, 604: 1
    case 405: 63
    case 406, 415: 79
    case 408, 504: 102
    case 410: 22
    case 413, 414, 416, 420, 421, 423, 505, 513: 127
    case 480: 18
    case 481, 500, 503: 41
    case 482, 483: 25
    case 484: 28
    case 486, 600: 17
    case 488, 606: 88
    case 501: 79
    case 502: 38
    case 603: 21
    default: nil
    }
  }

  /// The Q.850 text of a cause, for the `text` parameter; `nil` for a cause
  /// `cause(forSIPStatus:)` never gives.
  public static func text(forCause cause: Int) -> String? {
    switch cause {
    case 1: "Unallocated (unassigned) number"
    case 17: "User busy"
    case 18: "No user responding"
    case 21: "Call rejected"
    case 22: "Number changed"
    case 25: "Exchange routing error"
    case 28: "Invalid number format (address incomplete)"
    case 38: "Network out of order"
    case 41: "Temporary failure"
    case 63: "Service or option not available, unspecified"
    case 79: "Service or option not implemented, unspecified"
    case 88: "Incompatible destination"
    case 102: "Recovery on timer expiry"
    case 127: "Interworking, unspecified"
    default: nil
    }
  }

  /// The Reason header value (RFC 3326 §2) for a SIP final status, e.g.
  /// `Q.850;cause=17;text="User busy"`; `nil` when no cause fits.
  public static func reasonHeader(forSIPStatus status: Int) -> String? {
    guard let cause = cause(forSIPStatus: status) else { return nil }
    guard let text = text(forCause: cause) else { return "Q.850;cause=\(cause)" }
    return "Q.850;cause=\(cause);text=\"\(text)\""
  }
}
