import Billing
import Logging
import NIOCore
import Proxy
import SIPCore
import SIPTransport
import Store

/// Makes the switch core on its event loop: the proxy core with its sender,
/// clock, router and registrar; in softswitch mode also its journal, the
/// live credit ledger and the calls the last run was carrying.
struct CoreAssembly: Sendable {
  let config: SwitchConfig
  let mode: SwitchMode
  let transport: SIPTransportLayer
  let logger: Logger
  /// HEP capture of the messages the core sends (`capture.hep_address`).
  var capture: HEPCapture? = nil

  /// Runs on `core.loop`, fills `core.box`; returns the ledger (softswitch mode).
  func assemble(into core: CoreHandle, bound: [Endpoint]) async throws -> NIOLoopBound<CreditLedger>? {
    try await core.loop.submit { () -> NIOLoopBound<CreditLedger>? in
      let proxy = makeProxy(bound: bound)
      var ledger: NIOLoopBound<CreditLedger>?
      if case .softswitch(let softswitch, let firstLoad) = mode {
        proxy.journal = SoftswitchJournal(softswitch: softswitch, loop: core.loop)
        proxy.credit = makeLedger(softswitch: softswitch, firstLoad: firstLoad)
        ledger = proxy.credit.map { NIOLoopBound($0, eventLoop: core.loop) }
        restoreCalls(softswitch.callsToRestore, into: proxy)
      }
      let inbound = InboundReceiver(
        proxy: proxy, decoder: InboundDecoder(serverHeader: config.proxy.serverHeader))
      core.box.value = SwitchCore(
        loop: core.loop, inbound: inbound, newCallCapacity: config.overload.maxQueuedNewCalls)
      return ledger
    }.get()
  }

  private func makeProxy(bound: [Endpoint]) -> ProxyCore {
    let proxy = ProxyCore(
      configuration: config.proxyConfiguration(bound: bound),
      sender: TransportSender(transport: transport, capture: capture, bound: bound),
      clock: SystemProxyClock(), router: mode.router(config: config), logger: logger,
      processTag: String(UInt32.random(in: 0...UInt32.max), radix: 36))
    if let registrar = config.registrarConfiguration {
      proxy.registrar = Registrar(configuration: registrar)
      proxy.registrar?.credentials = mode.firstLoad?.snapshot.sipCredentials ?? [:]
    }
    return proxy
  }

  /// Live credit: accounts as loaded, less what the journal still owes PostgreSQL.
  private func makeLedger(softswitch: Softswitch, firstLoad: ReferenceLoad) -> CreditLedger {
    let ledger = CreditLedger(
      configuration: config.creditConfiguration, currencies: firstLoad.snapshot.currencies)
    ledger.load(firstLoad.accounts)
    for record in softswitch.pendingAtStart { ledger.addPending(uuid: record.uuid, charges: record.charges) }
    return ledger
  }

  /// Calls the last run was carrying when it stopped: back in the dialog table.
  private func restoreCalls(_ entries: [DialogCheckpointLog.Entry], into proxy: ProxyCore) {
    var restored = 0
    for entry in entries {
      guard let checkpoint = DialogCheckpoint(text: entry.text) else {
        logger.error(
          "live-call checkpoint unreadable; its call is not restored", metadata: ["uuid": "\(entry.id)"])
        continue
      }
      if proxy.restore(checkpoint) { restored += 1 }
    }
    if restored > 0 {
      logger.notice("calls taken over from the last run", metadata: ["calls": "\(restored)"])
    }
  }
}
