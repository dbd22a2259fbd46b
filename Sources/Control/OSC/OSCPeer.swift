import Basics
import CLiblo
import Foundation
import Synchronization

/// One UDP port that sends and receives OSC (liblo), as a tablet does: messages sent from it get their
/// replies (`/lvj/list`, `/lvj/query`) back to it, and `/lvj/subscribe` makes the engine's feedback
/// arrive here. Received messages wait for the caller to take them. `bench soak` watches and loads
/// a running engine through one.
public final class OSCPeer: @unchecked Sendable {
    public struct Message: Sendable {
        public let path: String
        public let arguments: [OSCValue]
        /// When it arrived (seconds, monotonic clock).
        public let received: Double
    }

    public let port: Int
    private var thread: lo_server_thread?
    private let inbox = Lock<[Message]>([])
    /// At most this many messages wait; older ones are dropped first (a listener nobody reads stays small).
    private let capacity: Int

    /// Listens on `port` (0: any free port, then `port` says which).
    public init(port: Int = 0, capacity: Int = 10_000) throws {
        self.capacity = capacity
        guard let t = lo_server_thread_new_with_proto(port == 0 ? nil : String(port), LO_UDP, nil) else {
            throw UsageError("cannot listen for OSC on UDP port \(port)")
        }
        thread = t
        self.port = Int(lo_server_thread_get_port(t))
        lo_server_thread_add_method(t, nil, nil, oscPeerHandler, Unmanaged.passUnretained(self).toOpaque())
        lo_server_thread_start(t)
    }

    deinit { stop() }

    public func stop() {
        guard let t = thread else { return }
        lo_server_thread_stop(t)
        lo_server_thread_free(t)
        thread = nil
    }

    /// Sends one message from this port to `host:port`; false if liblo could not.
    @discardableResult
    public func send(to port: Int, host: String = "127.0.0.1", _ path: String, _ values: [OSCValue] = []) -> Bool {
        guard let thread, let message = OSCMessage.make(values), let address = lo_address_new(host, String(port)) else { return false }
        defer { lo_message_free(message); lo_address_free(address) }
        return lo_send_message_from(address, lo_server_thread_get_server(thread), path, message) >= 0
    }

    /// Sends raw bytes from this port as one UDP datagram (malformed packets, for load tests).
    @discardableResult
    public func sendRaw(to port: Int, host: String = "127.0.0.1", _ bytes: [UInt8]) -> Bool {
        guard let thread else { return false }
        let socket = lo_server_get_socket_fd(lo_server_thread_get_server(thread))
        var destination = sockaddr_in()
        destination.sin_family = sa_family_t(AF_INET)
        destination.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &destination.sin_addr) == 1 else { return false }
        let sent = withUnsafePointer(to: &destination) { d in
            d.withMemoryRebound(to: sockaddr.self, capacity: 1) { a in bytes.withUnsafeBytes { b in sendto(socket, b.baseAddress, b.count, 0, a, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        }
        return sent == bytes.count
    }

    /// Everything received since the last call, oldest first.
    public func take() -> [Message] { inbox.withLock { m in defer { m = [] }; return m } }

    fileprivate func receive(_ message: Message) {
        inbox.withLock { m in
            if m.count >= capacity { m.removeFirst(m.count - capacity + 1) }
            m.append(message)
        }
    }
}

private func oscPeerHandler(_ path: UnsafePointer<CChar>?, _ types: UnsafePointer<CChar>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<lo_arg>?>?,
                                _ argc: Int32, _ message: lo_message?, _ user: UnsafeMutableRawPointer?) -> Int32 {
    guard let user, let path else { return 0 }
    Unmanaged<OSCPeer>.fromOpaque(user).takeUnretainedValue().receive(
        .init(path: String(cString: path), arguments: OSCMessage.arguments(types: types, argv: argv, count: argc),
              received: Double(DispatchTime.now().uptimeNanoseconds) / 1e9))
    return 0
}
