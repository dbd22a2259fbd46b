import Basics
import CALSA
import Foundation

/// An ALSA sequencer client for MIDI input from hardware that is not bridged into JACK.
///
/// Many machines (containers, CI, some venues' laptops) have no /dev/snd/seq: opening then fails
/// with a message that says so and what to do instead, and the rest of the engine goes on.
public final class ALSASequencer {
    public static let devicePath = "/dev/snd/seq"
    private var handle: OpaquePointer?

    public init(clientName: String = "latentvj", devicePath: String = ALSASequencer.devicePath) throws {
        guard FileManager.default.fileExists(atPath: devicePath) else {
            throw UsageError("ALSA MIDI is not available: \(devicePath) does not exist on this machine (no sound card driver, or a container). Use the JACK MIDI input (port latentvj:midi_in), e.g. with a2jmidid bridging ALSA hardware into JACK.")
        }
        var seq: OpaquePointer?
        let rc = snd_seq_open(&seq, "default", Int32(SND_SEQ_OPEN_INPUT), Int32(SND_SEQ_NONBLOCK))
        guard rc >= 0, let seq else {
            throw UsageError("ALSA MIDI could not be opened (\(String(cString: snd_strerror(rc)))).")
        }
        handle = seq
        snd_seq_set_client_name(seq, clientName)
    }

    deinit {
        if let handle { snd_seq_close(handle) }
    }

    public static var libraryVersion: String { String(cString: snd_asoundlib_version()) }
}
