import Basics
import CALSA
import Foundation

/// MIDI input from the ALSA sequencer, for hardware that is not bridged into JACK: a port
/// `latentvj:midi_in` that controllers are connected to (`aconnect`). Events become MIDI bytes in the
/// C shim and then take the same path as JACK MIDI (`MIDIMessage` → mapping router).
///
/// Many machines (containers, CI, some venue laptops) have no /dev/snd/seq: opening then fails with a
/// message that says so and what to do instead, and the engine goes on without it.
public final class ALSASequencer {
    public static let devicePath = "/dev/snd/seq"
    private let handle: OpaquePointer
    public let port: Int32

    public init(clientName: String = "latentvj", devicePath: String = ALSASequencer.devicePath) throws {
        guard FileManager.default.fileExists(atPath: devicePath) else {
            throw UsageError("ALSA MIDI is not available: \(devicePath) does not exist on this machine (no sound card driver, or a container). Use the JACK MIDI input (port latentvj:midi_in), e.g. with a2jmidid bridging ALSA hardware into JACK.")
        }
        var seq: OpaquePointer?
        let rc = snd_seq_open(&seq, "default", Int32(SND_SEQ_OPEN_INPUT), Int32(SND_SEQ_NONBLOCK))
        guard rc >= 0, let seq else {
            throw UsageError("ALSA MIDI could not be opened (\(String(cString: snd_strerror(rc)))). Use the JACK MIDI input instead.")
        }
        snd_seq_set_client_name(seq, clientName)
        let caps = UInt32(SND_SEQ_PORT_CAP_WRITE | SND_SEQ_PORT_CAP_SUBS_WRITE)
        let type = UInt32(SND_SEQ_PORT_TYPE_MIDI_GENERIC | SND_SEQ_PORT_TYPE_APPLICATION)
        let p = snd_seq_create_simple_port(seq, "midi_in", caps, type)
        guard p >= 0 else {
            snd_seq_close(seq)
            throw UsageError("ALSA MIDI port could not be created (\(String(cString: snd_strerror(p)))).")
        }
        handle = seq
        port = p
    }

    deinit { snd_seq_close(handle) }

    /// Every event waiting, as MIDI bytes (control thread; never blocks).
    public func read() -> [[UInt8]] {
        var out: [[UInt8]] = []
        var bytes = [UInt8](repeating: 0, count: 3)
        while true {
            var event: UnsafeMutablePointer<snd_seq_event_t>?
            guard snd_seq_event_input(handle, &event) >= 0, let event else { break }
            let n = Int(lvj_seq_event_to_midi(event, &bytes))
            if n > 0 { out.append(Array(bytes.prefix(n))) }
        }
        return out
    }

    public static var libraryVersion: String { String(cString: snd_asoundlib_version()) }
}
