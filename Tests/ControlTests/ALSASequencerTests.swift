import Control
import Foundation
import TestSupport
import XCTest

/// The ALSA sequencer input. These machines have no /dev/snd/seq, so what is tested is the clear
/// message (and that a real device would be tried); the events themselves take the JACK MIDI path
/// from `MIDIMessage(bytes:)` on, which the MIDI tests exercise with a real JACK client.
final class ALSASequencerTests: TimeLimitedTestCase {
    func testMissingSequencerDeviceIsSaidPlainly() throws {
        let missing = "/nonexistent/snd/seq-\(getpid())"
        XCTAssertThrowsError(try ALSASequencer(devicePath: missing)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(missing), text)
            XCTAssertTrue(text.contains("does not exist"), text)
            XCTAssertTrue(text.contains("JACK MIDI") && text.contains("a2jmidid"), "says what to use instead: \(text)")
        }
    }

    func testTheDefaultDeviceEitherOpensOrSaysWhy() {
        if FileManager.default.fileExists(atPath: ALSASequencer.devicePath) {
            // A machine with a sound driver: the port opens and reads nothing yet.
            if let seq = try? ALSASequencer() { XCTAssertEqual(seq.read().count, 0) }
        } else {
            XCTAssertThrowsError(try ALSASequencer()) { XCTAssertTrue("\($0)".contains(ALSASequencer.devicePath)) }
        }
    }
}
