import NIOCore
import Testing

@testable import SIPTransport

/// One log line per source and event per interval, with the count of the ones
/// left out (issue 15: never one line per packet or connection).
@Suite struct SourceLogLimiterTests {
  @Test func oneLinePerSourcePerInterval() {
    let limiter = SourceLogLimiter(interval: .seconds(60))
    let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
    #expect(limiter.admit("cap", host: "192.0.2.1", now: start) == 0)
    for second in 1..<60 {
      #expect(limiter.admit("cap", host: "192.0.2.1", now: start + .seconds(Int64(second))) == nil)
    }
    // Other sources and other events have their own line.
    #expect(limiter.admit("cap", host: "192.0.2.2", now: start + .seconds(1)) == 0)
    #expect(limiter.admit("timeout", host: "192.0.2.1", now: start + .seconds(1)) == 0)
    // After the interval: a line again, saying how many were left out.
    #expect(limiter.admit("cap", host: "192.0.2.1", now: start + .seconds(60)) == 59)
    #expect(limiter.admit("cap", host: "192.0.2.1", now: start + .seconds(61)) == nil)
  }

  @Test func manySourcesDoNotGrowItWithoutBound() {
    let limiter = SourceLogLimiter(interval: .seconds(60))
    let now = NIODeadline.uptimeNanoseconds(1_000_000_000)
    for index in 0..<(SourceLogLimiter.capacity + 10) {
      #expect(
        limiter.admit("cap", host: "10.\(index >> 16).\((index >> 8) & 255).\(index & 255)", now: now) == 0)
    }
    #expect(limiter.count <= SourceLogLimiter.capacity)
  }
}
