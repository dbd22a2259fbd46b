import Control
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// OSCQuery over HTTP (SwiftNIO): `GET /path` answers the node's JSON, `GET /path?ATTRIBUTE` that one
/// attribute, `GET /?HOST_INFO` the server's description; a WebSocket on the same port streams LISTENed
/// values (`OSCQueryListenHandler`). Only senders the OSC allowlist lets in are
/// answered (others get 403); anything but GET is refused (405), a malformed request closes its
/// connection with 400, and none of it reaches the engine beyond reading values.
public final class OSCQueryServer: @unchecked Sendable {
    public let port: Int
    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel

    /// The default port, as `--oscquery-port` says; taken, a free one is used and `port` tells which.
    public static let defaultPort = 9001

    /// Listens on `port` (nil: 9001 or a free port when it is taken; 0: any free port), all interfaces.
    /// A connection that sends nothing for `idleSeconds` is closed (a client that opens many and sends
    /// nothing cannot use up the engine's file descriptors); a LISTEN stream is kept while it is open.
    public init(port: Int?, namespace: OSCQueryNamespace, filter: NetworkFilter = .privateNetworks, idleSeconds: Int64 = 60) throws {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                let http = OSCQueryHTTPHandler(namespace: namespace, filter: filter)
                // A WebSocket upgrade on any path is LISTEN's stream (allowed senders only).
                let upgrader = NIOWebSocketServerUpgrader(
                    maxFrameSize: 1 << 16,
                    shouldUpgrade: { channel, _ in
                        channel.eventLoop.makeSucceededFuture(filter.allows(channel.remoteAddress?.ipAddress ?? "") ? HTTPHeaders() : nil)
                    },
                    upgradePipelineHandler: { channel, _ in
                        channel.pipeline.addHandler(OSCQueryListenHandler(namespace: namespace))
                    })
                let idle = IdleHTTPConnectionCloser()
                do {
                    // On the channel's own loop here: added at once.
                    try channel.pipeline.syncOperations.addHandlers(IdleStateHandler(readTimeout: .seconds(idleSeconds)), idle)
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
                return channel.pipeline.configureHTTPServerPipeline(
                    withServerUpgrade: (upgraders: [upgrader], completionHandler: { _ in
                        channel.pipeline.removeHandler(http, promise: nil)
                        channel.pipeline.removeHandler(idle, promise: nil)      // a LISTEN stream may be quiet for long
                    }),
                    withErrorHandling: true
                ).flatMap { channel.pipeline.addHandler(http) }
            }
        do {
            channel = try Self.bind(bootstrap, port: port)
        } catch {
            try? group.syncShutdownGracefully()
            throw error
        }
        self.port = channel.localAddress?.port ?? 0
    }

    private static func bind(_ bootstrap: ServerBootstrap, port: Int?) throws -> any Channel {
        do {
            return try bootstrap.bind(host: "0.0.0.0", port: port ?? defaultPort).wait()
        } catch where port == nil {
            return try bootstrap.bind(host: "0.0.0.0", port: 0).wait()
        } catch {
            throw OSCQueryError("cannot listen for OSCQuery on TCP port \(port ?? defaultPort): \(error) (choose another with --oscquery-port)")
        }
    }

    deinit { stop() }

    private var stopped = false
    /// Closes the listening socket and its connections.
    public func stop() {
        guard !stopped else { return }
        stopped = true
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
    }
}

public struct OSCQueryError: Error, CustomStringConvertible {
    public let description: String
    init(_ d: String) { description = d }
}

/// One connection's requests, answered one by one (keep-alive as HTTP/1.1 asks).
final class OSCQueryHTTPHandler: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let namespace: OSCQueryNamespace
    private let filter: NetworkFilter
    private var head: HTTPRequestHead?
    private var bodyBytes = 0
    /// A GET has no body; more than this is refused.
    static let maximumBody = 64 * 1024

    init(namespace: OSCQueryNamespace, filter: NetworkFilter) { self.namespace = namespace; self.filter = filter }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h): head = h; bodyBytes = 0
        case .body(let b): bodyBytes += b.readableBytes
        case .end:
            guard let h = head else { return }
            head = nil
            let (status, json) = respond(to: h, from: context.remoteAddress?.ipAddress ?? "")
            write(status, json, keepAlive: h.isKeepAlive && bodyBytes <= Self.maximumBody, version: h.version, withBody: h.method != .HEAD, context: context)
        }
    }

    /// A request that is not HTTP has had its 400 (NIO's protocol error handler); the connection ends.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func respond(to h: HTTPRequestHead, from host: String) -> (HTTPResponseStatus, [String: Any]) {
        guard filter.allows(host) else { return (.forbidden, ["error": "\(host) is not allowed to control this engine (--osc-allow)"]) }
        guard h.method == .GET || h.method == .HEAD else { return (.methodNotAllowed, ["error": "OSCQuery answers GET only"]) }
        guard bodyBytes <= Self.maximumBody else { return (.payloadTooLarge, ["error": "a request body of \(bodyBytes) bytes (a GET has none)"]) }
        let parts = h.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = String(parts[0]).removingPercentEncoding ?? String(parts[0])
        let attribute = parts.count > 1 && !parts[1].isEmpty ? String(parts[1]) : nil
        switch namespace.answer(path: path.isEmpty ? "/" : path, attribute: attribute) {
        case .json(let j): return (.ok, j)
        case .notFound: return (.notFound, ["error": "no node at \(path)"])
        case .unknownAttribute(let a): return (.badRequest, ["error": "unknown attribute \(a)"])
        case .noContent: return (.noContent, [:])
        }
    }

    /// The answer; to a HEAD, its headers only (the Content-Length of what a GET would get).
    private func write(_ status: HTTPResponseStatus, _ json: [String: Any], keepAlive: Bool, version: HTTPVersion, withBody: Bool,
                       context: ChannelHandlerContext) {
        let body = status == .noContent ? Data() : ((try? JSONSerialization.data(withJSONObject: json, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8))
        var headers = HTTPHeaders()
        if status != .noContent {
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Content-Length", value: String(body.count))
        }
        headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: status, headers: headers))), promise: nil)
        if withBody, !body.isEmpty {
            var buffer = context.channel.allocator.buffer(capacity: body.count)
            buffer.writeBytes(body)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive { done.whenComplete { _ in context.close(promise: nil) } }
    }
}

/// Closes an HTTP connection that has sent nothing for the idle time (IdleStateHandler's event).
final class IdleHTTPConnectionCloser: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = NIOAny
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent { context.close(promise: nil) } else { context.fireUserInboundEventTriggered(event) }
    }
}
