import NIOCore
import NIOPosix

/// Binds one UDP listener: a socket made by `UDPSocket`, read by a NIO datagram
/// channel, written by a `DatagramOutbox` on a duplicate of its descriptor.
enum UDPListener {
  static func bind(
    _ address: SocketAddress, isIPv6: Bool, loop: any EventLoop, environment: TransportEnvironment
  ) async throws -> (channel: any Channel, outbox: DatagramOutbox) {
    let configuration = environment.configuration
    let vectorReadCount = max(1, configuration.udpVectorReadCount)
    // recvmmsg splits one receive buffer into `vectorReadCount` equal slots.
    let receiveBufferSize = max(configuration.maxMessageSize, 1500) * vectorReadCount
    var bootstrap = DatagramBootstrap(group: loop)
      .channelOption(
        ChannelOptions.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: receiveBufferSize)
      )
      .channelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.addHandler(SIPDatagramHandler(environment: environment))
        }
      }
    // Read the whole receive queue in one go (up to 16 reads of
    // `vectorReadCount` datagrams, where NIO's default is 4): the core takes
    // responses and in-dialog requests at once and queues new calls
    // (docs/overload.md, "What waits"), so nothing should wait in the kernel.
    bootstrap = bootstrap.channelOption(ChannelOptions.maxMessagesPerRead, value: 16)
    if vectorReadCount > 1 {
      bootstrap = bootstrap.channelOption(
        ChannelOptions.datagramVectorReadMessageCount, value: vectorReadCount)
    }
    if let size = configuration.udpReceiveBufferBytes {
      bootstrap = bootstrap.channelOption(
        ChannelOptions.socketOption(.so_rcvbuf), value: SocketOptionValue(clamping: size))
    }
    let fd = try UDPSocket.makeBound(address, ipv6Only: isIPv6)
    let sendFD: CInt
    do {
      sendFD = try UDPSocket.duplicate(fd)
    } catch {
      UDPSocket.close(fd)
      throw error
    }
    let outbox = DatagramOutbox(fd: sendFD, isLoopback: UDPSocket.isLoopback(address))
    // The channel owns `fd` from here on (it closes it on failure too).
    let channel = try await bootstrap.withBoundSocket(fd).get()
    if let requested = configuration.udpReceiveBufferBytes,
      let actual = try? await channel.getOption(ChannelOptions.socketOption(.so_rcvbuf)).get(),
      Int(actual) < requested
    {
      // Linux reports twice the granted size; less than asked means net.core.rmem_max capped it.
      environment.logger.notice(
        "UDP receive buffer smaller than configured; raise net.core.rmem_max",
        metadata: ["requested": "\(requested)", "actual": "\(actual)"])
    }
    return (channel, outbox)
  }
}
