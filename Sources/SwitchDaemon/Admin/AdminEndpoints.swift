import JSON
import Logging
import NIOCore
import Policy
import Proxy

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// What the admin API does for each route (docs/admin.md): reads are made
/// on the core's loop (`submit`, bounded pages, never a lock); changes are
/// logged with who made them (the token's name and the source address).
struct AdminEndpoints: Sendable {
  let core: CoreHandle
  let startedUnixSeconds: Int64
  let mode: String
  let stateFile: TrunkStateFile?
  let logger: Logger

  /// Answers `route`; `body` is the request's JSON body (nil: none). A
  /// change is logged with who asked and the status it got.
  func answer(_ route: AdminRoute, body: JSONValue?, who: String) -> EventLoopFuture<AdminAnswer> {
    guard route.isChange else { return perform(route) }
    let logger = self.logger
    return perform(route).map { answer in
      logger.notice(
        "admin change",
        metadata: ["change": "\(route.logText)", "by": "\(who)", "status": "\(answer.status)"])
      return answer
    }
  }

  private func perform(_ route: AdminRoute) -> EventLoopFuture<AdminAnswer> {
    switch route {
    case .calls(let filter, let offset, let limit):
      return onCore { core in
        .ok(AdminJSON.page(core.proxy.activeCalls(filter, offset: offset, limit: limit)))
      }
    case .call(let id):
      return onCore { core in
        core.proxy.activeCall(id: id).map { .ok(AdminJSON.call($0)) }
          ?? .error(404, "no call in progress \(id)")
      }
    case .hangup(let id):
      return onCore { core in Self.hangup(core.proxy, id: id) }
    case .trunks:
      return onCore { core in .ok(AdminViews.trunks(core.proxy)) }
    case .drainTrunk(let id), .enableTrunk(let id):
      let drain = route == .drainTrunk(id)
      let stateFile = self.stateFile
      return onCore { core in
        guard AdminViews.trunkExists(core.proxy, id: id) || core.proxy.drainedTrunks.contains(id) else {
          return .error(404, "no interconnect or carrier service \(id)")
        }
        let changed = drain ? core.proxy.drainedTrunks.drain(id) : core.proxy.drainedTrunks.enable(id)
        if changed, let stateFile { stateFile.save(core.proxy.drainedTrunks.ids) }
        return .ok(.object([("id", .string(id)), ("drained", .bool(drain)), ("changed", .bool(changed))]))
      }
    case .limits:
      return onCore { core in .ok(AdminViews.limits(core.proxy)) }
    case .accounts(let offset, let limit):
      return onCore { core in .ok(AdminViews.accounts(core.proxy, offset: offset, limit: limit)) }
    case .registrations(let user):
      return onCore { core in .ok(AdminViews.registrations(core.proxy, user: user)) }
    case .reload:
      // The same reload as SIGHUP (ReloadService): reference data and accounts,
      // or proxy mode's next hop; its outcome is logged.
      kill(getpid(), SIGHUP)
      return core.loop.makeSucceededFuture(
        AdminAnswer(status: 202, body: .object([("reload", .string("requested"))])))
    case .drain:
      return onCore { core in
        core.proxy.beginDraining()
        return .ok(.object([("draining", .bool(true))]))
      }
    case .version:
      let now = SystemProxyClock().unixMs / 1000
      return core.loop.makeSucceededFuture(
        .ok(
          .object([
            ("version", .string(SwitchVersion.text)), ("mode", .string(mode)),
            ("started_at_s", .number(startedUnixSeconds)), ("uptime_s", .number(now - startedUnixSeconds)),
          ])))
    case .events:
      return core.loop.makeSucceededFuture(.error(500, "events are streamed by the HTTP handler"))
    }
  }

  private func onCore(_ body: @escaping @Sendable (SwitchCore) -> AdminAnswer) -> EventLoopFuture<AdminAnswer>
  {
    let box = core.box
    return core.loop.submit {
      guard let core = box.value else { return .error(503, "the switch is starting") }
      return body(core)
    }
  }

  private static func hangup(_ proxy: ProxyCore, id: String) -> AdminAnswer {
    switch proxy.hangup(id: id) {
    case .ended:
      .ok(.object([("id", .string(id)), ("ended_by", .string("admin")), ("bye_sent", .bool(true))]))
    case .cannotEnd:
      .error(
        409,
        "call \(id) cannot be ended by the switch: its policy keeps no dialog state to send BYE with (proxy mode)"
      )
    case .cancelled:
      .ok(.object([("id", .string(id)), ("ended_by", .string("admin")), ("cancelled", .bool(true))]))
    case .notAnswered: .error(409, "call \(id) is already getting its final answer")
    case .notFound: .error(404, "no call in progress \(id)")
    }
  }
}

extension AdminRoute {
  /// The change, for the log line that records who made it.
  var logText: String {
    switch self {
    case .hangup(let id): "hangup call \(id)"
    case .drainTrunk(let id): "drain trunk \(id)"
    case .enableTrunk(let id): "enable trunk \(id)"
    case .reload: "reload"
    case .drain: "drain switch"
    default: "\(self)"
    }
  }
}
