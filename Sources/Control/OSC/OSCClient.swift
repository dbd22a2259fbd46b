import Basics
import CLiblo

/// Sends OSC messages (liblo) to one host and port: what `bench control` and `latentvj learn` use to
/// talk to a running engine.
public final class OSCClient {
    private let address: lo_address

    public init(host: String = "127.0.0.1", port: Int) throws {
        guard let a = lo_address_new(host, String(port)) else { throw UsageError("cannot address OSC to \(host):\(port)") }
        address = a
    }

    deinit { lo_address_free(address) }

    /// Sends one message; false if liblo could not send it.
    @discardableResult
    public func send(_ path: String, _ values: [OSCValue]) -> Bool {
        guard let message = OSCMessage.make(values) else { return false }
        defer { lo_message_free(message) }
        return lo_send_message(address, path, message) >= 0
    }
}
