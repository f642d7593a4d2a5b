// CPU per UDP datagram sent: NIO's DatagramChannel write path (what the switch
// used before issue 15) against the transport layer's own path (a DatagramOutbox
// on a dup of the listener socket, sendmmsg once per event loop tick).
//
//   swift run -c release udp-send-bench [rounds] [datagram bytes]
//
// Each round queues B datagrams in one event loop task (B = 1, 4, 16, 64: the
// datagrams of one tick) to a loopback socket nobody reads (the kernel drops them
// when its buffer is full; the sender's cost is the same), and waits for the flush.
// Reported: process CPU (user + system, getrusage) per datagram.

import Logging
import NIOCore
import NIOPosix
import SIPCore
import SIPTransport

#if canImport(Glibc)
  import Glibc
#endif

func cpuSeconds() -> Double {
  var usage = rusage()
  getrusage(RUSAGE_SELF.rawValue, &usage)
  func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
  return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

let arguments = CommandLine.arguments
let rounds = arguments.count > 1 ? Int(arguments[1]) ?? 20_000 : 20_000
let size = arguments.count > 2 ? Int(arguments[2]) ?? 600 : 600
let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let loop = group.next()
let payload = ByteBuffer(repeating: UInt8(ascii: "x"), count: size)

// The sink: a bound socket that is never read.
let sink = try DatagramBootstrap(group: loop)
  .channelOption(ChannelOptions.autoRead, value: false)
  .bind(host: "127.0.0.1", port: 0).wait()
let sinkPort = sink.localAddress!.port!
let sinkAddress = try SocketAddress(ipAddress: "127.0.0.1", port: sinkPort)
let sinkEndpoint = Endpoint(transport: .udp, host: "127.0.0.1", port: sinkPort)

/// Runs `rounds` ticks of `batch` sends; returns microseconds of CPU per datagram.
func measure(batch: Int, send: @escaping @Sendable () -> Void, flush: @escaping @Sendable () -> Void) throws
  -> Double
{
  // Warm up, then measure.
  for pass in 0..<2 {
    let count = pass == 0 ? rounds / 10 : rounds
    let start = cpuSeconds()
    for _ in 0..<count {
      try loop.submit {
        for _ in 0..<batch { send() }
        flush()
      }.wait()
      try loop.submit {}.wait()  // the outbox flushes in a task queued by the first send
    }
    if pass == 1 { return (cpuSeconds() - start) / Double(count * batch) * 1e6 }
  }
  return 0
}

// NIO's path: write each envelope, one flush per tick (the old UDPSender).
let nioChannel = try DatagramBootstrap(group: loop).bind(host: "127.0.0.1", port: 0).wait()
// The transport layer's path.
let layer = SIPTransportLayer(
  group: group, udpLoop: loop, logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }),
  onMessage: { _ in }, onSendFailure: { _ in })
_ = try loop.makeFutureWithTask {
  try await layer.bind([Endpoint(transport: .udp, host: "127.0.0.1", port: 0)])
}
.wait()

print("datagram \(size) bytes, \(rounds) ticks per batch size; CPU µs per datagram (user+sys)")
print("batch  nio-channel  outbox-sendmmsg")
for batch in [1, 4, 16, 64] {
  let nio = try measure(
    batch: batch,
    send: { nioChannel.write(AddressedEnvelope(remoteAddress: sinkAddress, data: payload), promise: nil) },
    flush: { nioChannel.flush() })
  let ours = try measure(batch: batch, send: { layer.send(payload, to: sinkEndpoint) }, flush: {})
  func column(_ value: Double, _ width: Int) -> String {
    let text = String((value * 100).rounded() / 100)
    return String(repeating: " ", count: max(0, width - text.count)) + text
  }
  print(column(Double(batch), 5) + "  " + column(nio, 11) + "  " + column(ours, 15))
}
let counters = layer.counters
print(
  "outbox: sent \(counters.datagramsSent), dropped \(counters.datagramsDropped), failed \(counters.sendFailures)"
)
_ = try loop.makeFutureWithTask { await layer.shutdown() }.wait()
try nioChannel.close().wait()
try sink.close().wait()
try group.syncShutdownGracefully()
