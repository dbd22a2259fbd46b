import Foundation
import NIOCore
import NIOWebSocket

/// OSCQuery's LISTEN over WebSocket (the same port as HTTP): a client sends
/// `{"COMMAND":"LISTEN","DATA":"/lvj/intensity"}` as text and gets that method's value as a binary OSC
/// message at once and again whenever it changes (checked 50 times a second, on the connection's event
/// loop); `IGNORE` stops it. Malformed commands are ignored, the connection and the show go on.
final class OSCQueryListenHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let namespace: OSCQueryNamespace
    /// Listened parameters and the value last sent for each (its bit pattern).
    private var listened: [Int: UInt64] = [:]
    private var poll: RepeatedTask?
    static let interval = TimeAmount.milliseconds(20)
    /// A connection may listen to every parameter, not more.
    static let maximumCommand = 4096

    init(namespace: OSCQueryNamespace) { self.namespace = namespace }

    func handlerAdded(context: ChannelHandlerContext) {
        let loop = context.eventLoop, ctx = NIOLoopBound(context, eventLoop: loop)
        poll = loop.scheduleRepeatedTask(initialDelay: Self.interval, delay: Self.interval) { [weak self] _ in
            self?.sendChanges(ctx.value)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) { poll?.cancel(); poll = nil }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            var data = frame.unmaskedData
            guard data.readableBytes <= Self.maximumCommand, let text = data.readString(length: data.readableBytes) else { return }
            command(text, context: context)
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
              let command = object["COMMAND"] as? String, let path = object["DATA"] as? String,
              let i = namespace.registry.index(ofOSC: path) else { return }
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

    private func sendChanges(_ context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        for (i, last) in listened {
            let now = namespace.value(i).bitPattern
            guard now != last, let message = namespace.valueMessage(i) else { continue }
            listened[i] = now
            send(message, context: context)
        }
    }

    private func send(_ message: [UInt8], context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: message.count)
        buffer.writeBytes(message)
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .binary, data: buffer)), promise: nil)
    }
}
