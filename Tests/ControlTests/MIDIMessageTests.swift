import Control
import TestSupport
import XCTest

/// Decoding MIDI bytes: every channel-voice message the mappings use, nil for everything else, and
/// no trap on any input.
final class MIDIMessageTests: TimeLimitedTestCase {
    func testChannelVoiceMessagesDecode() {
        XCTAssertEqual(MIDIMessage(bytes: [0x90, 60, 100]), .noteOn(channel: 1, note: 60, velocity: 100))
        XCTAssertEqual(MIDIMessage(bytes: [0x8F, 60, 64]), .noteOff(channel: 16, note: 60, velocity: 64))
        XCTAssertEqual(MIDIMessage(bytes: [0x93, 60, 0]), .noteOff(channel: 4, note: 60, velocity: 0), "note on with velocity 0 is a note off")
        XCTAssertEqual(MIDIMessage(bytes: [0xB0, 7, 127]), .controlChange(channel: 1, controller: 7, value: 127))
        XCTAssertEqual(MIDIMessage(bytes: [0xC9, 5]), .programChange(channel: 10, program: 5))
        XCTAssertEqual(MIDIMessage(bytes: [0xE0, 0x00, 0x40]), .pitchBend(channel: 1, value: 8192), "centre")
        XCTAssertEqual(MIDIMessage(bytes: [0xE2, 0x7F, 0x7F]), .pitchBend(channel: 3, value: 16383))
        XCTAssertEqual(MIDIMessage(bytes: [0xE2, 0x01, 0x00]), .pitchBend(channel: 3, value: 1), "LSB comes first on the wire")
        XCTAssertEqual(MIDIMessage(status: 0xB5, data1: 1, data2: 2, size: 3), .controlChange(channel: 6, controller: 1, value: 2))
        XCTAssertEqual(MIDIMessage(status: 0xC0, data1: 1, data2: 0xFF, size: 2), .programChange(channel: 1, program: 1),
                       "a byte beyond the message's size is not looked at")
        XCTAssertEqual(MIDIMessage.controlChange(channel: 12, controller: 3, value: 4).channel, 12)
        XCTAssertEqual(MIDIMessage.controlChange(channel: 1, controller: 7, value: 100).description, "ch1 cc7=100")
    }

    func testGarbageIsRefused() {
        XCTAssertNil(MIDIMessage(bytes: []))
        XCTAssertNil(MIDIMessage(bytes: [0xB0, 7]), "too short")
        XCTAssertNil(MIDIMessage(bytes: [0xB0, 7, 1, 2]), "too long")
        XCTAssertNil(MIDIMessage(bytes: [0xC0, 1, 2]), "program change is two bytes")
        XCTAssertNil(MIDIMessage(bytes: [0xB0, 0x80, 1]), "data byte with the top bit set")
        XCTAssertNil(MIDIMessage(bytes: [0xB0, 1, 0x90]))
        XCTAssertNil(MIDIMessage(bytes: [0x40, 1, 2]), "no status byte (running status is not used)")
        XCTAssertNil(MIDIMessage(bytes: [0xF8]), "clock")
        XCTAssertNil(MIDIMessage(bytes: [0xF0, 0x7E, 0xF7]), "sysex")
        XCTAssertNil(MIDIMessage(bytes: [0xA0, 60, 10]), "polyphonic aftertouch is not mapped")
        XCTAssertNil(MIDIMessage(bytes: [0xD0, 10]), "channel pressure is not mapped")
        XCTAssertNil(MIDIMessage(status: 0xB0, data1: 1, data2: 2, size: -1))
        XCTAssertNil(MIDIMessage(status: 0xB0, data1: 1, data2: 2, size: Int.max))
    }

    func testEncodingRoundTrips() {
        let messages: [MIDIMessage] = [
            .noteOn(channel: 1, note: 0, velocity: 1), .noteOff(channel: 16, note: 127, velocity: 0),
            .controlChange(channel: 9, controller: 64, value: 127), .programChange(channel: 2, program: 127),
            .pitchBend(channel: 5, value: 0), .pitchBend(channel: 5, value: 12345),
        ]
        for m in messages { XCTAssertEqual(MIDIMessage(bytes: m.bytes), m, "\(m)") }
    }

    /// 100 000 random byte strings (and status/size combinations): nothing traps, and what decodes
    /// encodes back to the same bytes (note on with velocity 0 excepted: it becomes a note off).
    func testRandomBytesNeverTrap() {
        var rng = SplitMix64(seed: 0x1A7E_47)
        var decoded = 0
        for _ in 0..<100_000 {
            let count = Int(rng.next() % 5)
            let bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            if let m = MIDIMessage(bytes: bytes) {
                decoded += 1
                if !(bytes[0] >> 4 == 0x9 && bytes[2] == 0) { XCTAssertEqual(m.bytes, bytes) }
                XCTAssertTrue((1...16).contains(m.channel))
            }
            let r = rng.next()
            _ = MIDIMessage(status: UInt8(truncatingIfNeeded: r), data1: UInt8(truncatingIfNeeded: r >> 8),
                            data2: UInt8(truncatingIfNeeded: r >> 16), size: Int(truncatingIfNeeded: Int64(bitPattern: r >> 24) % 7) - 2)
        }
        XCTAssertGreaterThan(decoded, 1000, "the fuzz does reach valid messages too")
    }
}

/// Small deterministic generator, so a fuzz failure can be reproduced.
private struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
