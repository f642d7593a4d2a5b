import Billing
import Policy
import Routing
import SIPCore

/// Where an initial INVITE goes, decided by the layer above the proxy core
/// (the call pipeline; in proxy mode one fixed next hop).
public enum RouteDecision: Sendable, Equatable {
  /// Try the call's targets as `RoutedCall` says: in order with failover,
  /// or forked in parallel.
  case route(RoutedCall)
  /// Refuse the call with this status, reason phrase and extra headers
  /// (Retry-After, Min-SE, Unsupported ...). A refused call leaves no call
  /// record, only a counter (`kind`) and one log line.
  case refuse(Refusal)

  /// A refusal with only a status and reason phrase.
  public static func reject(status: Int, reason: String) -> RouteDecision {
    .refuse(Refusal(status: status, reason: reason))
  }

  /// Targets with nothing else known about the call (proxy mode).
  public static func targets(_ targets: [RouteTarget]) -> RouteDecision {
    .route(RoutedCall(targets: targets))
  }
}

/// An initial INVITE that the pipeline accepted: its targets, what makes it
/// fail over, and the facts the call record keeps.
public struct RoutedCall: Sendable, Equatable {
  public var targets: [RouteTarget]
  /// Statuses besides 408, 5xx, the no-answer timeout and transport errors
  /// (which always fail over) that move the call to the next target.
  public var extraFailoverStatuses: Set<Int>
  /// The interconnect the call came from (nil in proxy mode).
  public var ingress: CarrierLeg?
  /// The caller and callee numbers as routed (nil: take them from the INVITE).
  public var callerNumber: String?
  public var calledNumber: String?
  /// Changes made once to the INVITE before any target (ingress policy).
  public var edits: MessageEdits
  /// What the proxy core enforces for the rest of the call.
  public var policy: CallPolicy
  /// The customer's price for this destination (nil: the call is not rated).
  public var customerQuote: RateQuote?
  /// The fork's and the DIDs' fields (`forking`, `whenUnanswered`,
  /// `noAnswerTimeoutMs`, `inbound`, in `RoutedCall+ForkAndDID`): nil on
  /// the carrier path, so every copy of a call stays small.
  var forkAndDID: Boxed<ForkAndDID>?

  public init(
    targets: [RouteTarget], extraFailoverStatuses: Set<Int> = [], ingress: CarrierLeg? = nil,
    callerNumber: String? = nil, calledNumber: String? = nil, edits: MessageEdits = MessageEdits(),
    policy: CallPolicy = CallPolicy(), customerQuote: RateQuote? = nil, forking: Forking = .sequential,
    whenUnanswered: UnansweredHook? = nil
  ) {
    self.targets = targets
    self.extraFailoverStatuses = extraFailoverStatuses
    self.ingress = ingress
    self.callerNumber = callerNumber
    self.calledNumber = calledNumber
    self.edits = edits
    self.policy = policy
    self.customerQuote = customerQuote
    if forking != .sequential || whenUnanswered != nil {
      forkAndDID = Boxed(ForkAndDID(forking: forking, whenUnanswered: whenUnanswered))
    }
  }

  /// §16.7 step 6 with a sequential target set: does `status` move the call on?
  public func failsOver(on status: Int) -> Bool {
    status == 408 || (500...599).contains(status) || extraFailoverStatuses.contains(status)
  }
}

public struct RouteTarget: Sendable, Equatable {
  public var destination: Endpoint
  /// A new Request-URI, as written (a registered contact), or `nil` to keep it.
  public var requestURI: String?
  /// A new Request-URI user (a translated number, a tech prefix), or `nil` to keep it.
  public var requestURIUser: String?
  /// The supplier side this target belongs to (nil in proxy mode).
  public var egress: CarrierLeg?
  /// Changes for this target only (egress translation, identity, codecs).
  public var edits: MessageEdits
  /// The egress interconnect's policy on this target's responses.
  public var policy: TargetPolicy
  /// This supplier's cost for the destination (nil: not rated).
  public var supplierQuote: RateQuote?
  /// A registered contact's q in thousandths (RFC 3261 §20.10; nil: 1000).
  /// A parallel fork rings adjacent targets of equal q together.
  public var qThousandths: Int?

  public init(
    destination: Endpoint, requestURI: String? = nil, requestURIUser: String? = nil,
    egress: CarrierLeg? = nil,
    edits: MessageEdits = MessageEdits(), policy: TargetPolicy = TargetPolicy(),
    supplierQuote: RateQuote? = nil, qThousandths: Int? = nil
  ) {
    self.qThousandths = qThousandths
    self.destination = destination
    self.requestURI = requestURI
    self.requestURIUser = requestURIUser
    self.egress = egress
    self.edits = edits
    self.policy = policy
    self.supplierQuote = supplierQuote
  }
}

/// Chooses the targets of an initial INVITE. Runs on the proxy core's
/// thread; `context` carries the time and the core's live state.
public protocol CallRouter: Sendable {
  func route(invite: SIPMessage, source: Endpoint, context: RouteContext) -> RouteDecision
  /// Whether `source` is a peer this switch knows (softswitch mode: an
  /// interconnect's address). Requests from unknown sources are answered as
  /// little as the RFCs allow (docs/identification.md). Default: every source.
  func knowsSource(_ source: Endpoint) -> Bool
  /// The price the rating plan of `quote` gives `number` at `unixMs`, in
  /// the reference data current now: a call is priced at its answer, not
  /// at its routing (docs/rating.md, "Priced at the answer"). Nil when the
  /// plan has no rate in force for the number then. Default: nil.
  func requote(_ quote: RateQuote, number: String, atUnixMs unixMs: Int64) -> RateQuote?
  /// Whether `invite` from `source` comes from an identified interconnect
  /// (admitted or refused by its own settings), not an unknown source: a
  /// call that claims a softphone user is authenticated only when it does
  /// not (docs/softphones.md). Default: `knowsSource`.
  func identifiesInterconnect(_ invite: SIPMessage, source: Endpoint) -> Bool
  /// The softphone users, devices and numbers (softswitch mode); nil: none.
  var retail: RetailDirectory? { get }
}

extension CallRouter {
  public func knowsSource(_ source: Endpoint) -> Bool { true }
  public func requote(_ quote: RateQuote, number: String, atUnixMs unixMs: Int64) -> RateQuote? { nil }
  public func identifiesInterconnect(_ invite: SIPMessage, source: Endpoint) -> Bool { knowsSource(source) }
  public var retail: RetailDirectory? { nil }
}

/// What a router may read besides the INVITE: the time, the calls in
/// progress (for capacity limits), the CPS buckets (for rate limits) and a
/// random seed (for weighted route order).
public struct RouteContext {
  /// Monotonic milliseconds (CPS buckets).
  public var nowMs: Int64
  /// Wall-clock milliseconds since the Unix epoch: the call's start, at
  /// which rates and time classes are read.
  public var unixMs: Int64
  public var liveCalls: LiveCalls
  public var cps: CPSLimiter
  /// Seeds this call's random choices (`SplitMix64`); fixed in tests.
  public var randomSeed: UInt64
  /// Live credit (nil: calls are not credit-controlled, e.g. proxy mode).
  public var credit: CreditLedger?
  /// The call record's uuid, which names the call in the ledger.
  public var callUUID: String
  /// The softphone user who placed the call (authenticated), nil for an
  /// interconnect's call: the pipeline routes and rates it as its user's
  /// ingress service (docs/softphones.md).
  public var caller: RetailCaller?
  /// Softphone users' monthly call counts (plans' limits, migration 0020);
  /// nil: not counted.
  public var monthlyCalls: MonthlyCallCounter?
  /// Interconnects and services drained by an operator (admin API): no
  /// call from them, none to them.
  public var drained: DrainedTrunks?
  /// A user's registered devices as targets (their bindings, best q first):
  /// where a call to the user's DID goes (docs/dids.md); nil: no registrar.
  public var deviceTargets: ((_ userID: String) -> [RouteTarget])?
  /// A forwarded leg starts: its new call-record uuid and the clocks now
  /// (a leg placed when the devices' fork ends is later than the call's
  /// start); nil: none can be made.
  public var startForwardedLeg: (() -> (recordID: String, nowMs: Int64, unixMs: Int64))?
  /// Supplier interconnects found down by OPTIONS probes: skipped (nil: none probed).
  public var supplierHealth: SupplierHealth?

  public init(
    nowMs: Int64, unixMs: Int64 = 0, liveCalls: LiveCalls, cps: CPSLimiter, randomSeed: UInt64 = 0,
    credit: CreditLedger? = nil, callUUID: String = "", caller: RetailCaller? = nil,
    monthlyCalls: MonthlyCallCounter? = nil, drained: DrainedTrunks? = nil,
    supplierHealth: SupplierHealth? = nil, deviceTargets: ((_ userID: String) -> [RouteTarget])? = nil,
    startForwardedLeg: (() -> (recordID: String, nowMs: Int64, unixMs: Int64))? = nil
  ) {
    self.deviceTargets = deviceTargets
    self.startForwardedLeg = startForwardedLeg
    self.drained = drained
    self.supplierHealth = supplierHealth
    self.caller = caller
    self.monthlyCalls = monthlyCalls
    self.nowMs = nowMs
    self.unixMs = unixMs
    self.liveCalls = liveCalls
    self.cps = cps
    self.randomSeed = randomSeed
    self.credit = credit
    self.callUUID = callUUID
  }
}

/// Proxy mode: every initial INVITE goes to one configured next hop.
public struct NextHopRouter: CallRouter {
  public var nextHop: Endpoint { didSet { decision = Boxed(.targets([RouteTarget(destination: nextHop)])) } }
  /// Every call's decision, made once (no target array built per call),
  /// behind a reference so that a copy of the router stays small.
  private var decision: Boxed<RouteDecision>

  public init(nextHop: Endpoint) {
    self.nextHop = nextHop
    decision = Boxed(.targets([RouteTarget(destination: nextHop)]))
  }

  public func route(invite: SIPMessage, source: Endpoint, context: RouteContext) -> RouteDecision {
    decision.value
  }
}
