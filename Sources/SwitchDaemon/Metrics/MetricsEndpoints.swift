import NIOCore

/// What the metrics listener serves, as futures on the listener's loop:
///
/// - `GET /metrics`: every metric in the Prometheus text format;
/// - `GET /health`: 200 `ok` while the switch takes calls, 503 `draining`
///   after SIGTERM, 503 `failed: listener closed: ...` once a SIP listener has
///   closed by itself (for a load balancer or a systemd watchdog script).
///
/// Anything else gets 404, and a method other than GET or HEAD 405.
struct MetricsEndpoints: Sendable {
  var metrics: @Sendable (any EventLoop) -> EventLoopFuture<String>
  var isServing: @Sendable (any EventLoop) -> EventLoopFuture<Bool>
  /// Why the switch cannot serve at all (a listener closed), or `nil`.
  var failure: @Sendable () -> String? = { nil }

  /// One HTTP answer: status, content type and body.
  struct Answer: Sendable, Equatable {
    var status: HTTPStatus
    var contentType = "text/plain; charset=utf-8"
    var body: String
    var allow: String?
  }

  enum HTTPStatus: Int, Sendable, Equatable {
    case ok = 200
    case notFound = 404
    case methodNotAllowed = 405
    case serviceUnavailable = 503
  }

  /// Answers a request for `path` (the request target, query ignored).
  func answer(method: String, target: String, on loop: any EventLoop) -> EventLoopFuture<Answer> {
    let path = target.prefix { $0 != "?" }
    guard path == "/metrics" || path == "/health" else {
      return loop.makeSucceededFuture(Answer(status: .notFound, body: "not found: try /metrics or /health\n"))
    }
    guard method == "GET" || method == "HEAD" else {
      return loop.makeSucceededFuture(
        Answer(status: .methodNotAllowed, body: "only GET and HEAD\n", allow: "GET, HEAD"))
    }
    if path == "/metrics" {
      return metrics(loop).map {
        Answer(status: .ok, contentType: PrometheusExposition.contentType, body: $0)
      }
    }
    if let failure = failure() {
      return loop.makeSucceededFuture(Answer(status: .serviceUnavailable, body: "failed: \(failure)\n"))
    }
    return isServing(loop).map {
      $0 ? Answer(status: .ok, body: "ok\n") : Answer(status: .serviceUnavailable, body: "draining\n")
    }
  }
}
