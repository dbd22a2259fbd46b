import AudioIn
import Control
import Foundation
import Live
import TestSupport
import XCTest

/// MIDI into the engine through a real JACK server: a JACK MIDI client sends CCs, notes, program
/// changes and garbage to `latentvj:midi_in`; the control thread maps them onto parameters the frame
/// producer follows; learn binds the next control moved and saves it in the mapping file.
final class MIDIEngineTests: JACKServerTestCase {
    /// The engine's side: JACK source (in_1/in_2/midi_in), producer, MIDI control thread on a mapping.
    func engine(mapping: String) throws -> (JACKSource, FrameProducer, MIDIControl, JACKMIDIOutput) {
        let path = "\(folder!)/controller.yaml"
        try mapping.write(toFile: path, atomically: true, encoding: .utf8)
        let sender = try JACKMIDIOutput(name: "lvjknobs", serverName: server.name)
        let source = try JACKSource(connect: "lvjknobs:", playing: nil, serverName: server.name)
        let producer = try FrameProducerTests.producer(source)
        let midi = try MIDIControl(store: producer.parameters, mappingPath: path)
        midi.add { source.input.readMIDI().map { ($0.bytes, nil) } }
        midi.start()
        return (source, producer, midi, sender)
    }

    let mapping = """
    name: test controller
    controls:
      - midi: {cc: 0}
        param: intensity
        range: [0, 2]
      - midi: {channel: 2, cc14: 1}
        param: psi
      - midi: {note: 60}
        param: freeze
      - midi: {cc: 16}
        param: temperature
        mode: relative
      - midi: {program: any}
        param: preset

    """

    func testCCsNotesAndProgramChangesMoveTheirParameters() throws {
        let (_, producer, midi, sender) = try engine(mapping: mapping)
        defer { midi.stop() }
        let store = producer.parameters
        sender.send([0xB0, 0, 127])                                  // CC 0 full up on channel 1
        XCTAssertTrue(waitUntil(timeout: 60) { store.value("intensity") == 2 }, "\(store.value("intensity")!)")
        XCTAssertTrue(producer.advance(rows: 3))
        XCTAssertEqual(producer.currentValue("intensity"), 2, "the decoder gets it within the ramp (two frames of music)")

        sender.send([0xB1, 1, 64], [0xB1, 33, 0])                     // 14-bit on channel 2: 8192/16383 of 0…1.5
        XCTAssertTrue(waitUntil(timeout: 60) { abs(store.value("psi")! - 1.5 * 8192 / 16383) < 1e-9 }, "\(store.value("psi")!)")
        sender.send([0xB0, 1, 127])                                   // channel 1 does not match the channel-2 entry
        sender.send([0x90, 60, 100])                                  // note on: freeze toggles on
        XCTAssertTrue(waitUntil(timeout: 60) { store.value("freeze") == 1 })
        XCTAssertEqual(abs(store.value("psi")! - 1.5 * 8192 / 16383) < 1e-9, true)
        let temperature = store.value("temperature")!
        sender.send([0xB0, 16, 3])                                    // endless encoder: +3 steps
        XCTAssertTrue(waitUntil(timeout: 60) { store.value("temperature")! > temperature })
        XCTAssertEqual(store.value("temperature")!, temperature + 3 * (5 - 0.05) / 127, accuracy: 1e-9)
        sender.send([0xC0, 2])                                        // program change 2 → preset slot 3
        XCTAssertTrue(waitUntil(timeout: 60) { midi.takePending().slots == [3] })
    }

    func testGarbageMIDIIsCountedAndNeverStopsTheEngine() throws {
        let (_, producer, midi, sender) = try engine(mapping: mapping)
        defer { midi.stop() }
        sender.send([0xF8], [0x90, 0x80, 0x10], [0x45, 0x12, 0x01], [0xFE], [0xB0, 0, 0xFF], [0xF0, 0x7E, 0xF7])
        sender.send([0xB0, 0, 0])
        XCTAssertTrue(waitUntil(timeout: 60) { producer.parameters.value("intensity") == 0 }, "a good message after the garbage still works")
        XCTAssertGreaterThanOrEqual(midi.garbageCount, 4)
        XCTAssertTrue(producer.advance(rows: 5), "the state goes on")
        XCTAssertGreaterThanOrEqual(producer.snapshot.frames, 1, "and frames are rendered")
    }

    func testLearnBindsTheNextControlAndSavesItInTheMappingFile() throws {
        let (_, producer, midi, sender) = try engine(mapping: "# my knobs, hand-written\n" + mapping)
        defer { midi.stop() }
        let store = producer.parameters
        midi.arm(learn: store.registry.index(of: "deep.amplitude")!)
        sender.send([0xB0, 21, 64])                                   // the knob the VJ turns
        var learned: [String] = []
        XCTAssertTrue(waitUntil(timeout: 60) { learned += midi.takePending().learned; return !learned.isEmpty })
        XCTAssertTrue(learned[0].contains("deep.amplitude") && learned[0].contains("saved"), "\(learned)")
        XCTAssertNil(midi.learning)
        sender.send([0xB0, 21, 127])                                  // now it moves the parameter
        XCTAssertTrue(waitUntil(timeout: 60) { store.value("deep.amplitude") == 3 })
        // Saved: the file keeps its comment and loads with the new binding.
        let text = try String(contentsOfFile: "\(folder!)/controller.yaml", encoding: .utf8)
        XCTAssertTrue(text.hasPrefix("# my knobs, hand-written"))
        let reloaded = try Mapping.load(path: "\(folder!)/controller.yaml", registry: store.registry)
        XCTAssertTrue(reloaded.entries.contains { $0.control == .cc(channel: 1, controller: 21) || $0.control == .cc(channel: nil, controller: 21) })
    }

    func testJACKsOwnSequencerClientDrivesANote() throws {
        let (_, producer, midi, _) = try engine(mapping: mapping)
        defer { midi.stop() }
        // jack_midiseq (JACK's example client) loops note 60 every 0.1 s: each note-on toggles freeze.
        try server.startClient("jack_midiseq", ["lvjseq", "4800", "0", "60", "2400"])
        XCTAssertTrue(waitUntil(timeout: 60) { (self.server.ports() ?? []).contains("lvjseq:out") })
        XCTAssertEqual(try server.tool("jack_connect", ["lvjseq:out", "latentvj:midi_in"]), 0)
        XCTAssertTrue(waitUntil(timeout: 60) { midi.messageCount >= 6 })
        var seen = Set<Double>()
        XCTAssertTrue(waitUntil(timeout: 60) { seen.insert(producer.parameters.value("freeze")!); return seen.count == 2 }, "freeze toggles on and off")
    }
}
