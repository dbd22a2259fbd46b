import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// A WebSocket client that sends OSC messages the way the web surface does (binary frames to the
/// OSCQuery port): `bench control`'s web path, without a browser.
public final class WebSocketSender: @unchecked Sendable {
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private let channel: any Channel

    /// Connects and upgrades; throws if the server refuses or does not answer within `timeout`.
    public init(host: String = "127.0.0.1", port: Int, path: String = "/", timeout: Int64 = 10) throws {
        let upgraded = group.next().makePromise(of: Void.self)
        let upgrader = NIOWebSocketClientUpgrader(upgradePipelineHandler: { channel, _ in
            upgraded.succeed()
            return channel.eventLoop.makeSucceededVoidFuture()
        })
        let bootstrap = ClientBootstrap(group: group).channelInitializer { channel in
            channel.pipeline.addHTTPClientHandlers(withClientUpgrade: (upgraders: [upgrader], completionHandler: { _ in }))
        }
        do {
            channel = try bootstrap.connect(host: host, port: port).wait()
            let deadline = group.next().scheduleTask(in: .seconds(timeout)) {
                upgraded.fail(OSCQueryError("no WebSocket upgrade from \(host):\(port) within \(timeout) s"))
            }
            var headers = HTTPHeaders()
            headers.add(name: "Host", value: "\(host):\(port)")
            headers.add(name: "Content-Length", value: "0")
            channel.write(HTTPClientRequestPart.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)), promise: nil)
            try channel.writeAndFlush(HTTPClientRequestPart.end(nil)).wait()
            try upgraded.futureResult.wait()
            deadline.cancel()
        } catch {
            upgraded.fail(error)            // a promise is always completed
            try? group.syncShutdownGracefully()
            throw error
        }
    }

    deinit { close() }

    /// One binary frame (masked, as a client's must be).
    public func send(_ bytes: [UInt8]) {
        let frame = WebSocketFrame(fin: true, opcode: .binary, maskKey: .random(), data: channel.allocator.buffer(bytes: bytes))
        channel.writeAndFlush(frame, promise: nil)
    }

    private var closed = false
    public func close() {
        guard !closed else { return }
        closed = true
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
    }
}
