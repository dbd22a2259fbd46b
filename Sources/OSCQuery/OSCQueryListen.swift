import Control
import Foundation
import NIOCore
import NIOWebSocket

/// OSCQuery's LISTEN over WebSocket (the same port as HTTP): a client sends
/// `{"COMMAND":"LISTEN","DATA":"/lvj/intensity"}` as text and gets that method's value as a binary OSC
/// message at once and again whenever it changes (checked 50 times a second, on the connection's event
/// loop); `IGNORE` stops it. Our own extensions, for the web surface: LISTEN to `/lvj/status` streams
/// the engine's status feedback (as `/lvj/subscribe` does over UDP), to `/lvj/preview` the live
/// thumbnail (`WebSurface.previewMagic`); and a binary frame the client sends is an OSC message,
/// dispatched by the OSC server as if it came over UDP. Malformed commands are ignored, the connection
/// and the show go on.
final class OSCQueryListenHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let box: NamespaceBox
    /// The namespace this stream reads, and its version (a newer one in the box is announced, then taken).
    private var namespace: OSCQueryNamespace
    private var version: Int
    private let web: WebSurface
    /// The client's address, for the OSC server's checks.
    private let host: String
    /// Listened parameters and the value last sent for each (its bit pattern).
    private var listened: [Int: UInt64] = [:]
    private var poll: RepeatedTask?
    /// The OSC server's listener feeding this client its status, while it asks for it.
    private var statusListener: Int?
    /// The serial of the preview frame last sent, while the client watches; when it was sent.
    private var previewSerial: Int?
    private var previewSentAt = NIODeadline.distantPast
    static let interval = TimeAmount.milliseconds(20)
    /// At most five preview frames a second go to a client.
    static let previewInterval = TimeAmount.milliseconds(200)
    /// A connection may listen to every parameter, not more.
    static let maximumCommand = 4096

    /// Why the client may not use the socket (another site's page, no token): it is closed at once,
    /// with code 1008 (policy violation, RFC 6455) and this reason.
    private let refusal: String?
    private var admitted: Bool { refusal == nil }

    init(namespace: NamespaceBox, web: WebSurface, host: String, refusal: String? = nil) {
        box = namespace; (self.namespace, version) = namespace.current
        self.web = web; self.host = host; self.refusal = refusal
    }

    static let tokenRefusal = "this engine's web surface asks for its token (--web-token): add ?token=..."

    func handlerAdded(context: ChannelHandlerContext) {
        if let refusal {
            var data = context.channel.allocator.buffer(capacity: 2 + refusal.utf8.count)
            data.writeInteger(UInt16(1008))
            data.writeString(String(refusal.utf8.prefix(120)) ?? "refused")
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: data)))
                .whenComplete { _ in context.close(promise: nil) }
            return
        }
        let loop = context.eventLoop, ctx = NIOLoopBound(context, eventLoop: loop)
        poll = loop.scheduleRepeatedTask(initialDelay: Self.interval, delay: Self.interval) { [weak self] _ in
            self?.sendChanges(ctx.value)
        }
    }

    /// Set when the handler leaves the pipeline: a status message already on its way to this loop is dropped.
    private var removed = false

    func handlerRemoved(context: ChannelHandlerContext) {
        removed = true
        poll?.cancel(); poll = nil
        if let id = statusListener { web.osc?.removeListener(id); statusListener = nil }
        if previewSerial != nil { web.preview?.watchers(changedBy: -1); previewSerial = nil }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard admitted else { return }
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            var data = frame.unmaskedData
            guard data.readableBytes <= Self.maximumCommand, let text = data.readString(length: data.readableBytes) else { return }
            command(text, context: context)
        case .binary:
            // An OSC message from the client (a fader moved on the web surface).
            let data = frame.unmaskedData
            data.withUnsafeReadableBytes { web.osc?.handleDatagram($0, host: host) }
        case .ping:
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)), promise: nil)
        case .connectionClose:
            let close = WebSocketFrame(fin: true, opcode: .connectionClose, data: context.channel.allocator.buffer(capacity: 0))
            context.writeAndFlush(wrapOutboundOut(close)).whenComplete { _ in context.close(promise: nil) }
        default:
            break
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }

    private func command(_ text: String, context: ChannelHandlerContext) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
              let command = object["COMMAND"] as? String, let path = object["DATA"] as? String else { return }
        if path == "/lvj/status" || path == "/lvj/preview" {
            if command == "LISTEN" || command == "IGNORE" { stream(path, on: command == "LISTEN", context: context) }
            return
        }
        guard let i = namespace.registry.index(ofOSC: path) else { return }
        switch command {
        case "LISTEN":
            guard let message = namespace.valueMessage(i) else { return }     // a trigger has no value
            listened[i] = namespace.value(i).bitPattern
            send(message, context: context)
        case "IGNORE":
            listened[i] = nil
        default:
            break
        }
    }

    /// The status feedback or the preview, on or off.
    private func stream(_ path: String, on: Bool, context: ChannelHandlerContext) {
        if path == "/lvj/status", let osc = web.osc {
            if on, statusListener == nil {
                let loop = context.eventLoop, ctx = NIOLoopBound(context, eventLoop: loop)
                let me = NIOLoopBound(self, eventLoop: loop)
                // Called on the engine's main loop: the message is built there and sent from this loop.
                statusListener = osc.addListener { address, values in
                    guard address.hasPrefix("/lvj/status/"), let message = oscDatagram(address, values) else { return }
                    loop.execute { me.value.send(message, context: ctx.value) }
                }
            } else if !on, let id = statusListener {
                osc.removeListener(id); statusListener = nil
            }
        } else if path == "/lvj/preview", let preview = web.preview {
            if on, previewSerial == nil { previewSerial = 0; preview.watchers(changedBy: 1) }
            else if !on, previewSerial != nil { previewSerial = nil; preview.watchers(changedBy: -1) }
        }
    }

    /// The newest preview frame, when there is one the client has not had and it keeps up.
    private func sendPreview(_ context: ChannelHandlerContext) {
        guard let serial = previewSerial, let preview = web.preview, context.channel.isWritable,
              NIODeadline.now() - previewSentAt >= Self.previewInterval else { return }
        let w = preview.width, h = preview.height
        let sent: Int? = preview.withNewest(after: serial) { newest, pixels in
            var buffer = context.channel.allocator.buffer(capacity: 8 + pixels.count)
            buffer.writeBytes(WebSurface.previewMagic)
            buffer.writeInteger(UInt16(w), endianness: .little); buffer.writeInteger(UInt16(h), endianness: .little)
            buffer.writeBytes(pixels)
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .binary, data: buffer)), promise: nil)
            return newest
        }
        if let sent { previewSerial = sent; previewSentAt = .now() }
    }

    /// A replaced namespace: the methods that came and went, announced; what was listened to and is still
    /// there (by address) stays listened to.
    private func followNamespace(_ context: ChannelHandlerContext) {
        let (fresh, v) = box.current
        guard v != version else { return }
        let before = Set(namespace.addresses), after = Set(fresh.addresses)
        for path in after.subtracting(before).sorted() { sendText(["COMMAND": "PATH_ADDED", "DATA": path], context: context) }
        for path in before.subtracting(after).sorted() { sendText(["COMMAND": "PATH_REMOVED", "DATA": path], context: context) }
        var kept: [Int: UInt64] = [:]
        for (i, last) in listened {
            if let j = fresh.registry.index(ofOSC: namespace.registry[i].oscAddress) { kept[j] = last }
        }
        listened = kept
        namespace = fresh; version = v
    }

    private func sendText(_ object: [String: String], context: ChannelHandlerContext) {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        var buffer = context.channel.allocator.buffer(capacity: data.count)
        buffer.writeBytes(data)
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: buffer)), promise: nil)
    }

    private func sendChanges(_ context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        followNamespace(context)
        sendPreview(context)
        for (i, last) in listened {
            let now = namespace.value(i).bitPattern
            guard now != last, let message = namespace.valueMessage(i) else { continue }
            listened[i] = now
            send(message, context: context)
        }
    }

    private func send(_ message: [UInt8], context: ChannelHandlerContext) {
        guard !removed, context.channel.isActive else { return }
        var buffer = context.channel.allocator.buffer(capacity: message.count)
        buffer.writeBytes(message)
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .binary, data: buffer)), promise: nil)
    }
}
