import CJack
import Foundation

/// A JACK client with one MIDI output port, `out`: what a hardware controller looks like to the engine.
/// `bench soak` uses it for its MIDI bursts and the tests use it as a controller. Messages of one to
/// three bytes are queued in a lock-free ring and go out in the next process cycles, up to
/// `perCycle` a cycle; the callback only copies (the same rules as the engine's own callback).
public final class JACKMIDIOutput {
    public let name: String
    private let context: UnsafeMutablePointer<MIDIOutputContext>

    /// Opens client `name` on the server `serverName` (nil: the default server) and activates it.
    public init(name: String, serverName: String? = nil, capacity: Int = 4096, perCycle: Int = 64) throws {
        var status = jack_status_t(rawValue: 0)
        guard let client = lvj_jack_client_open_server(name, JackNoStartServer, &status, serverName) else {
            throw JACKError.fromOpenStatus(status, client: name, serverName: serverName)
        }
        guard let port = jack_port_register(client, "out", JACK_DEFAULT_MIDI_TYPE, UInt(JackPortIsOutput.rawValue), 0) else {
            jack_client_close(client)
            throw JACKError.portRegistrationFailed(port: "\(name):out")
        }
        self.name = String(cString: jack_get_client_name(client))
        context = .allocate(capacity: 1)
        context.initialize(to: MIDIOutputContext(client: client, port: port, ring: SPSCRing(minimumCapacity: capacity),
                                                  batch: .allocate(capacity: perCycle), perCycle: perCycle))
        jack_set_process_callback(client, jackMIDIOutputProcess, context)
        // Every property is set: a throw from here on runs `deinit`, which closes the client and frees the context.
        guard jack_activate(client) == 0 else { throw JACKError.activationFailed(client: name) }
    }

    deinit {
        jack_deactivate(context.pointee.client)
        jack_client_close(context.pointee.client)
        context.pointee.release()
        context.deinitialize(count: 1)
        context.deallocate()
    }

    /// Queues messages (1 to 3 bytes each; others are refused); returns how many were queued (a full
    /// ring drops the rest).
    @discardableResult
    public func send(_ messages: [UInt8]...) -> Int { send(messages) }

    @discardableResult
    public func send(_ messages: [[UInt8]]) -> Int {
        var queued = 0
        for m in messages where (1...3).contains(m.count) {
            guard context.pointee.ring.write(JACKMIDIEvent(time: 0, bytes: m)) else { break }
            queued += 1
        }
        return queued
    }

    /// Messages queued and not yet sent.
    public var pending: Int { context.pointee.ring.count }

    /// Connects `out` to a destination port (e.g. `latentvj:midi_in`).
    public func connect(to destination: String) throws {
        let code = jack_connect(context.pointee.client, "\(name):out", destination)
        guard code == 0 || code == EEXIST else { throw JACKError.connectionFailed(source: "\(name):out", destination: destination, code: code) }
    }
}

/// What the output's process callback reads: pointers and integers only.
struct MIDIOutputContext {
    var client: OpaquePointer
    var port: OpaquePointer
    var ring: SPSCRing<JACKMIDIEvent>
    var batch: UnsafeMutablePointer<JACKMIDIEvent>
    var perCycle: Int

    func release() { ring.deallocate(); batch.deallocate() }
}

func jackMIDIOutputProcess(_ nframes: jack_nframes_t, _ arg: UnsafeMutableRawPointer?) -> Int32 {
    guard let c = arg?.assumingMemoryBound(to: MIDIOutputContext.self).pointee,
          let buffer = jack_port_get_buffer(c.port, nframes) else { return 0 }
    writeQueuedMIDI(c.ring, batch: c.batch, perCycle: c.perCycle, into: buffer, frames: nframes)
    return 0
}

/// A MIDI output port's cycle, for this test controller and the engine's `midi_out` alike: clears the
/// port's buffer and writes up to `perCycle` queued messages at successive frame offsets. Copies only.
@inline(__always)
func writeQueuedMIDI(_ ring: SPSCRing<JACKMIDIEvent>, batch: UnsafeMutablePointer<JACKMIDIEvent>, perCycle: Int,
                     into buffer: UnsafeMutableRawPointer, frames nframes: jack_nframes_t) {
    jack_midi_clear_buffer(buffer)
    let n = ring.read(into: batch, maxCount: min(perCycle, Int(nframes)))
    for i in 0..<n {
        var bytes = (batch[i].status, batch[i].data1, batch[i].data2)
        withUnsafeBytes(of: &bytes) { raw in
            _ = jack_midi_event_write(buffer, jack_nframes_t(i), raw.bindMemory(to: jack_midi_data_t.self).baseAddress, Int(batch[i].size))
        }
    }
}
