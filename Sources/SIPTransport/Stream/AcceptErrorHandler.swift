import NIOCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// On a stream listener's channel: an accept that fails (`EMFILE` when the process
/// is out of file descriptors) is counted by no one else and would go unseen, so
/// it is logged, once per listener per interval. NIO backs off accepting by itself.
final class AcceptErrorHandler: ChannelInboundHandler {
  typealias InboundIn = any Channel

  private let environment: TransportEnvironment
  private let listener: String

  init(environment: TransportEnvironment, listener: String) {
    self.environment = environment
    self.listener = listener
  }

  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    self.environment.logAbuse(
      "accept-error", "SIP stream listener cannot accept connections (out of file descriptors?)",
      source: self.listener, now: context.eventLoop.now, metadata: ["error": "\(error)"])
    context.fireErrorCaught(error)
  }

  /// The soft limit on open files, if the system reports one.
  static func openFileLimit() -> Int? {
    var limit = rlimit()
    #if canImport(Glibc)
      guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
    #else
      guard getrlimit(RLIMIT_NOFILE, &limit) == 0 else { return nil }
    #endif
    return limit.rlim_cur >= rlim_t(Int.max) ? nil : Int(limit.rlim_cur)
  }
}
