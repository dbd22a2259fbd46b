import CJack
import Foundation
import Synchronization

/// A JACK client that is the transport's timebase master: it publishes bar, beat and tick at a tempo
/// it is told (4/4, 1920 ticks a beat), and starts, stops and relocates the transport. What a DAW or a
/// sequencer is to the engine's `--tempo jack`, and the source `jack_midi_clock` turns into MIDI clock;
/// the tests use it as that peer. A tempo change takes effect at the next cycle, continuing the beat
/// from where it is (no jump).
public final class JACKTimebaseMaster {
    public let name: String
    private let client: OpaquePointer
    private let context: UnsafeMutablePointer<TimebaseContext>

    public init(name: String, serverName: String? = nil, bpm: Double) throws {
        var status = jack_status_t(rawValue: 0)
        guard let client = lvj_jack_client_open_server(name, JackNoStartServer, &status, serverName) else {
            throw JACKError.fromOpenStatus(status, client: name, serverName: serverName)
        }
        self.client = client
        self.name = String(cString: jack_get_client_name(client))
        context = .allocate(capacity: 1)
        context.initialize(to: TimebaseContext(bpm: bpm))
        guard jack_set_timebase_callback(client, 0, jackTimebase, context) == 0 else {
            jack_client_close(client)
            context.deinitialize(count: 1); context.deallocate()
            throw JACKError.activationFailed(client: "\(name) (timebase master)")
        }
        guard jack_activate(client) == 0 else {
            jack_client_close(client)
            context.deinitialize(count: 1); context.deallocate()
            throw JACKError.activationFailed(client: name)
        }
    }

    deinit {
        jack_release_timebase(client)
        jack_deactivate(client)
        jack_client_close(client)
        context.deinitialize(count: 1)
        context.deallocate()
    }

    /// The tempo from the next cycle on.
    public var bpm: Double {
        get { Double(bitPattern: context.pointee.bpm.load(ordering: .relaxed)) }
        set { context.pointee.bpm.store(newValue.bitPattern, ordering: .relaxed) }
    }

    public func start() { jack_transport_start(client) }
    public func stop() { jack_transport_stop(client) }
    /// Moves the transport to frame 0 (bar 1, beat 1).
    public func rewind() { jack_transport_locate(client, 0) }

    /// The transport's frame now, and whether it rolls.
    public var position: (frame: Int, rolling: Bool) {
        var p = jack_position_t()
        let state = jack_transport_query(client, &p)
        return (Int(p.frame), state == JackTransportRolling)
    }
}

/// The callback's state: the tempo asked for (any thread), and the tempo map it keeps (the callback's
/// own): the frame and beat where the current tempo began.
/// (A struct at a fixed address: the callback touches no reference counts.)
struct TimebaseContext: ~Copyable {
    let bpm: Atomic<UInt64>
    var anchorFrame = 0.0, anchorBeats = 0.0, anchorBPM: Double
    init(bpm: Double) { self.bpm = Atomic(bpm.bitPattern); anchorBPM = bpm }
}

private let ticksPerBeat = 1920.0, beatsPerBar = 4.0

/// Bar, beat and tick of `pos->frame` on the tempo map: a new tempo starts at the frame it was seen;
/// a relocation (`newPosition`) restarts the map there at the current tempo.
private func jackTimebase(_ state: jack_transport_state_t, _ nframes: jack_nframes_t, _ pos: UnsafeMutablePointer<jack_position_t>?,
                          _ newPosition: Int32, _ arg: UnsafeMutableRawPointer?) {
    guard let pos, let c = arg?.assumingMemoryBound(to: TimebaseContext.self) else { return }
    let rate = Double(max(1, pos.pointee.frame_rate)), frame = Double(pos.pointee.frame)
    let bpm = Double(bitPattern: c.pointee.bpm.load(ordering: .relaxed))
    func beats(at f: Double) -> Double { c.pointee.anchorBeats + (f - c.pointee.anchorFrame) / rate * c.pointee.anchorBPM / 60 }
    if newPosition != 0 {
        c.pointee.anchorBeats = frame / rate * bpm / 60; c.pointee.anchorFrame = frame; c.pointee.anchorBPM = bpm
    } else if bpm != c.pointee.anchorBPM {
        c.pointee.anchorBeats = beats(at: frame); c.pointee.anchorFrame = frame; c.pointee.anchorBPM = bpm
    }
    let total = max(0, beats(at: frame))
    let whole = total.rounded(.down)
    pos.pointee.valid = JackPositionBBT
    pos.pointee.bar = Int32(whole / beatsPerBar) + 1
    pos.pointee.beat = Int32(whole.truncatingRemainder(dividingBy: beatsPerBar)) + 1
    pos.pointee.tick = Int32((total - whole) * ticksPerBeat)
    pos.pointee.bar_start_tick = Double(pos.pointee.bar - 1) * beatsPerBar * ticksPerBeat
    pos.pointee.beats_per_bar = Float(beatsPerBar)
    pos.pointee.beat_type = 4
    pos.pointee.ticks_per_beat = ticksPerBeat
    pos.pointee.beats_per_minute = c.pointee.anchorBPM
}
