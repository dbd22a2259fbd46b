import CJack
import Foundation

/// A JACK client with one MIDI output (`NAME:out`) that sends the messages queued with `send`, a real
/// JACK MIDI peer for the engine's MIDI tests (JACK's own example clients send only notes).
public final class JACKMIDISender {
    public let name: String
    private let client: OpaquePointer
    private let port: OpaquePointer
    private let lock = NSLock()
    private var queue: [[UInt8]] = []

    public init(name: String, serverName: String) throws {
        var status = jack_status_t(rawValue: 0)
        guard let c = lvj_jack_client_open_server(name, JackNoStartServer, &status, serverName) else {
            throw NSError(domain: "JACKMIDISender", code: Int(status.rawValue), userInfo: [NSLocalizedDescriptionKey: "cannot open JACK client \(name)"])
        }
        client = c
        guard let p = jack_port_register(c, "out", JACK_DEFAULT_MIDI_TYPE, UInt(JackPortIsOutput.rawValue), 0) else {
            jack_client_close(c)
            throw NSError(domain: "JACKMIDISender", code: 1, userInfo: [NSLocalizedDescriptionKey: "cannot register \(name):out"])
        }
        port = p
        self.name = String(cString: jack_get_client_name(c))
        jack_set_process_callback(c, { frames, arg in
            Unmanaged<JACKMIDISender>.fromOpaque(arg!).takeUnretainedValue().process(frames)
            return 0
        }, Unmanaged.passUnretained(self).toOpaque())
        jack_activate(c)
    }

    deinit {
        jack_deactivate(client)
        jack_client_close(client)
    }

    /// Queues messages; each goes out in the next cycle (test code: the lock in the callback is fine here).
    public func send(_ messages: [UInt8]...) { lock.lock(); queue += messages; lock.unlock() }

    public var pending: Int { lock.lock(); defer { lock.unlock() }; return queue.count }

    /// Connects our output to a destination port (e.g. `latentvj:midi_in`).
    public func connect(to destination: String) -> Bool { jack_connect(client, "\(name):out", destination) == 0 }

    private func process(_ frames: jack_nframes_t) {
        guard let buffer = jack_port_get_buffer(port, frames) else { return }
        jack_midi_clear_buffer(buffer)
        guard lock.try() else { return }
        let batch = queue.prefix(64)
        queue.removeFirst(batch.count)
        lock.unlock()
        for (i, message) in batch.enumerated() {
            message.withUnsafeBufferPointer { _ = jack_midi_event_write(buffer, jack_nframes_t(i), $0.baseAddress, $0.count) }
        }
    }
}
