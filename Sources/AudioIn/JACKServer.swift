import Basics
import CJack
import Foundation
import Synchronization

/// Facts about the JACK server, asked without starting one.
public enum JACKServer {
    public static var libraryVersion: String {
        guard let v = jack_get_version_string() else { return "unknown" }
        return String(cString: v)
    }

    /// The server's name as clients see it: `$JACK_DEFAULT_SERVER`, else `default`.
    public static var defaultName: String { ProcessInfo.processInfo.environment["JACK_DEFAULT_SERVER"] ?? "default" }

    /// Whether a running jackd2 has its socket (`/dev/shm/jack_NAME_UID_0`). Checked before libjack is
    /// touched at all: opening a client when no server runs still makes libjack create its metadata
    /// database, and a process killed in the middle of that leaves a database every later client hangs on.
    public static func socketExists(serverName: String? = nil) -> Bool {
        let name = serverName ?? defaultName
        let file = "jack_\(name)_\(getuid())_0"
        return ["/dev/shm", ProcessInfo.processInfo.environment["JACK_TMPDIR"] ?? "/tmp"].contains {
            FileManager.default.fileExists(atPath: "\($0)/\(file)")
        }
    }

    /// What stopped the last `isRunning` from getting an answer, if anything (shown to the user).
    nonisolated(unsafe) public static var lastProblem: String?

    /// Whether a JACK server is running and accepts clients right now (opens and closes a probe client).
    /// Never hangs: libjack gets `timeout` seconds; if it does not answer, the engine is told no.
    public static func isRunning(serverName: String? = nil, timeout: Double = 3) -> Bool {
        lastProblem = nil
        guard socketExists(serverName: serverName) else { return false }
        silenceLibraryMessages()
        let answer = Lock<Bool?>(nil)
        let done = DispatchSemaphore(value: 0)
        let name = serverName
        Thread {
            var status = jack_status_t(rawValue: 0)
            let client: OpaquePointer? = name.map { n in n.withCString { lvj_jack_client_open_server("latentvj-probe", JackNoStartServer, &status, $0) } }
                ?? lvj_jack_client_open("latentvj-probe", JackNoStartServer, &status)
            if let client { jack_client_close(client) }
            answer.withLock { $0 = client != nil }
            done.signal()
        }.start()
        guard done.wait(timeout: .now() + timeout) == .success else {
            lastProblem = "libjack did not answer within \(Int(timeout)) s. The usual cause is a stale metadata database left by a client killed while connecting: remove /dev/shm/jack_db-\(getuid()) (and restart jackd)."
            return false
        }
        return answer.withLock { $0 } ?? false
    }

    /// libjack prints connection attempts to stderr; a probe that finds no server is not an error.
    public static func silenceLibraryMessages() {
        jack_set_error_function { _ in }
        jack_set_info_function { _ in }
    }
}
