import Basics
import CJack

/// Facts about the JACK server, asked without starting one.
public enum JACKServer {
    public static var libraryVersion: String {
        guard let v = jack_get_version_string() else { return "unknown" }
        return String(cString: v)
    }

    /// Whether a JACK server is running and accepts clients right now (opens and closes a probe client).
    public static func isRunning() -> Bool {
        silenceLibraryMessages()
        var status = jack_status_t(rawValue: 0)
        guard let client = lvj_jack_client_open("latentvj-probe", JackNoStartServer, &status) else { return false }
        jack_client_close(client)
        return true
    }

    /// libjack prints connection attempts to stderr; a probe that finds no server is not an error.
    public static func silenceLibraryMessages() {
        jack_set_error_function { _ in }
        jack_set_info_function { _ in }
    }
}
