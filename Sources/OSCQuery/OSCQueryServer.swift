import Control
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// OSCQuery over HTTP (SwiftNIO): `GET /path` answers the node's JSON, `GET /path?ATTRIBUTE` that one
/// attribute, `GET /?HOST_INFO` the server's description; a browser asking for `/` gets the web control
/// surface. A WebSocket on the same port streams LISTENed values and takes OSC messages
/// (`OSCQueryListenHandler`). Only senders the OSC allowlist lets in are answered (others get 403);
/// anything but GET is refused (405), a malformed request closes its connection with 400, and nothing
/// reaches the engine but what the OSC server itself checks.
public final class OSCQueryServer: @unchecked Sendable {
    public let port: Int
    private let group: MultiThreadedEventLoopGroup
    private let box: NamespaceBox
    private let channel: any Channel

    /// The default port, as `--oscquery-port` says; taken, a free one is used and `port` tells which.
    public static let defaultPort = 9001

    /// Listens on `port` (nil: 9001 or a free port when it is taken; 0: any free port), all interfaces.
    /// A connection that sends nothing for `idleSeconds` is closed (a client that opens many and sends
    /// nothing cannot use up the engine's file descriptors); a LISTEN stream is kept while it is open.
    public init(port: Int?, namespace: OSCQueryNamespace, filter: NetworkFilter = .privateNetworks, web: WebSurface = WebSurface(),
                idleSeconds: Int64 = 60) throws {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let box = NamespaceBox(namespace)
        self.box = box
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                let http = OSCQueryHTTPHandler(namespace: box, filter: filter, web: web)
                let host = channel.remoteAddress?.ipAddress ?? ""
                // A WebSocket upgrade on any path is LISTEN's stream (allowed senders only). Opened by a
                // page of another site, or without the token when one is set, the socket is closed at
                // once with 1008 and why.
                let upgrader = NIOWebSocketServerUpgrader(
                    maxFrameSize: 1 << 16,
                    shouldUpgrade: { channel, _ in
                        channel.eventLoop.makeSucceededFuture(filter.allows(host) ? HTTPHeaders() : nil)
                    },
                    upgradePipelineHandler: { channel, head in
                        let headers = head.headers.map { ($0.name, $0.value) }
                        let refusal = web.foreignSite(headers: headers)
                            ?? (web.admits(uri: head.uri, headers: headers) ? nil : OSCQueryListenHandler.tokenRefusal)
                        return channel.pipeline.addHandler(OSCQueryListenHandler(namespace: box, web: web, host: host, refusal: refusal))
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

    /// The tree as it is now (for another model's parameters): requests read the new one at once, and
    /// every LISTEN stream is sent PATH_ADDED and PATH_REMOVED for the methods that came and went.
    public func replace(namespace: OSCQueryNamespace) { box.replace(with: namespace) }

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

    private let box: NamespaceBox
    private let filter: NetworkFilter
    private let web: WebSurface
    private var head: HTTPRequestHead?
    private var bodyBytes = 0
    /// A GET has no body; more than this is refused.
    static let maximumBody = 64 * 1024

    init(namespace: NamespaceBox, filter: NetworkFilter, web: WebSurface) { box = namespace; self.filter = filter; self.web = web }

    /// What is sent back: JSON, or the web surface's page, with headers of its own.
    struct Reply {
        var status: HTTPResponseStatus
        var body: Data
        var contentType = "application/json"
        var headers: [(String, String)] = []
        static func json(_ status: HTTPResponseStatus, _ object: [String: Any]) -> Reply {
            let body = status == .noContent ? Data() : ((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8))
            return Reply(status: status, body: body)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h): head = h; bodyBytes = 0
        case .body(let b): bodyBytes += b.readableBytes
        case .end:
            guard let h = head else { return }
            head = nil
            let reply = respond(to: h, from: context.remoteAddress?.ipAddress ?? "")
            write(reply, keepAlive: h.isKeepAlive && bodyBytes <= Self.maximumBody, version: h.version, withBody: h.method != .HEAD, context: context)
        }
    }

    /// A request that is not HTTP has had its 400 (NIO's protocol error handler); the connection ends.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func respond(to h: HTTPRequestHead, from host: String) -> Reply {
        guard filter.allows(host) else { return .json(.forbidden, ["error": "\(host) is not allowed to control this engine (--osc-allow)"]) }
        let headers = h.headers.map { ($0.name, $0.value) }
        guard h.method == .GET || h.method == .HEAD else { return .json(.methodNotAllowed, ["error": "OSCQuery answers GET only"]) }
        guard bodyBytes <= Self.maximumBody else { return .json(.payloadTooLarge, ["error": "a request body of \(bodyBytes) bytes (a GET has none)"]) }
        let parts = h.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = String(parts[0]).removingPercentEncoding ?? String(parts[0])
        // The query is the attribute; a token given there is not.
        let query = parts.count > 1 ? parts[1].split(separator: "&").filter { !$0.hasPrefix("token=") }.joined(separator: "&") : ""
        let attribute = query.isEmpty ? nil : query
        if (path == "/" || path.isEmpty), attribute == nil, h.headers["accept"].contains(where: { $0.contains("text/html") }) {
            return page(h, headers: headers)
        }
        switch box.current.namespace.answer(path: path.isEmpty ? "/" : path, attribute: attribute) {
        case .json(let j): return .json(.ok, j)
        case .notFound: return .json(.notFound, ["error": "no node at \(path)"])
        case .unknownAttribute(let a): return .json(.badRequest, ["error": "unknown attribute \(a)"])
        case .noContent: return .json(.noContent, [:])
        }
    }

    /// The web control surface; with a token, only to a request that has it (the page then keeps it
    /// as a cookie, for the WebSocket and the tree).
    private func page(_ h: HTTPRequestHead, headers: [(String, String)]) -> Reply {
        if let why = web.foreignSite(headers: headers) {
            return Reply(status: .forbidden, body: Data((why + "\n").utf8), contentType: "text/plain; charset=utf-8")
        }
        guard web.admits(uri: h.uri, headers: headers) else {
            return Reply(status: .unauthorized, body: Data("This engine's web surface asks for its token: open /?token=… (latentvj live --web-token).\n".utf8),
                         contentType: "text/plain; charset=utf-8")
        }
        var reply = Reply(status: .ok, body: Data(WebSurfacePage.html.utf8), contentType: "text/html; charset=utf-8")
        reply.headers.append(("Cache-Control", "no-store"))
        if let token = web.token, !token.isEmpty {
            let encoded = token.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            reply.headers.append(("Set-Cookie", "lvj_token=\(encoded); Path=/; SameSite=Strict; HttpOnly"))
        }
        return reply
    }

    /// The answer; to a HEAD, its headers only (the Content-Length of what a GET would get).
    private func write(_ reply: Reply, keepAlive: Bool, version: HTTPVersion, withBody: Bool, context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        if reply.status != .noContent {
            headers.add(name: "Content-Type", value: reply.contentType)
            headers.add(name: "Content-Length", value: String(reply.body.count))
        }
        for (name, value) in reply.headers { headers.add(name: name, value: value) }
        headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: reply.status, headers: headers))), promise: nil)
        if withBody, !reply.body.isEmpty {
            var buffer = context.channel.allocator.buffer(capacity: reply.body.count)
            buffer.writeBytes(reply.body)
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
