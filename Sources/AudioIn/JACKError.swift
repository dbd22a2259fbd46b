import CJack

/// What can go wrong talking to JACK, each case worded for a VJ at a gig rather than for a JACK developer.
public enum JACKError: Error, CustomStringConvertible, Equatable {
    /// No server answered (none runs, or not under the requested name).
    case noServer(serverName: String?)
    /// The server answered but refused the client; `status` is JACK's bit set, spelled out in the message.
    case openFailed(client: String, status: UInt32)
    case portRegistrationFailed(port: String)
    case activationFailed(client: String)
    case connectionFailed(source: String, destination: String, code: Int32)
    /// The server went away (or the client was closed); `reconnect()` tries again.
    case notConnected

    public var description: String {
        switch self {
        case .noServer(let name):
            let which = name.map { "named \"\($0)\" " } ?? ""
            return "no JACK server \(which)is running (start one with `jackd -d dummy -r 48000` or qjackctl)"
        case .openFailed(let client, let status):
            return "the JACK server refused client \"\(client)\": \(Self.explain(status))"
        case .portRegistrationFailed(let port):
            return "JACK could not register port \"\(port)\" (the server may be out of ports or shutting down)"
        case .activationFailed(let client):
            return "JACK could not activate client \"\(client)\""
        case .connectionFailed(let source, let destination, let code):
            return "JACK could not connect \(source) to \(destination) (error \(code))"
        case .notConnected:
            return "not connected to a JACK server (it stopped or was never reached); reconnecting"
        }
    }

    /// The one place a `jack_client_open` failure status becomes an error.
    static func fromOpenStatus(_ status: jack_status_t, client: String, serverName: String?) -> JACKError {
        let bits = status.rawValue
        if bits & JackServerFailed.rawValue != 0 { return .noServer(serverName: serverName) }
        return .openFailed(client: client, status: bits)
    }

    private static func explain(_ bits: UInt32) -> String {
        let reasons: [(JackStatus, String)] = [
            (JackInvalidOption, "an invalid option"),
            (JackNameNotUnique, "the client name is taken"),
            (JackServerError, "a server communication error"),
            (JackNoSuchClient, "no such client"),
            (JackLoadFailure, "an internal client failed to load"),
            (JackInitFailure, "an internal client failed to initialise"),
            (JackShmFailure, "shared memory could not be accessed (are server and client the same user?)"),
            (JackVersionError, "client and server JACK versions differ"),
            (JackBackendError, "a backend error"),
            (JackClientZombie, "the client was zombified"),
        ]
        let named = reasons.filter { bits & $0.0.rawValue != 0 }.map(\.1)
        return named.isEmpty ? "status 0x\(String(bits, radix: 16))" : named.joined(separator: ", ")
    }
}
