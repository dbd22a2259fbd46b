import AudioIn
import Control
import Foundation
import Live
import TestSupport
import XCTest

/// Controller feedback through a real JACK server: `latentvj:midi_out` sends the value of every mapped
/// control marked `feedback: true` to a JACK MIDI receiver standing in for the controller, at start,
/// on every change (rate-limited), and after a preset recall; a fader moved by hand is not pushed back.
final class ControllerFeedbackTests: JACKServerTestCase {
    let mapping = """
    name: feedback test
    controls:
      - midi: {channel: 1, cc: 48}
        param: freeze
        mode: toggle
        feedback: true
      - midi: {channel: 2, note: 36}
        param: blackout
        mode: momentary
        feedback: true
      - midi: {channel: 1, cc: 0}
        param: intensity
        range: [0, 2]
        feedback: true
      - midi: {channel: 1, cc: 16}
        param: psi
        curve: exponential
        feedback: true
      - midi: {channel: 1, cc: 1}
        param: temperature

    """

    /// Every message the receiver got since the last call, as bytes.
    func received(_ receiver: JACKInput) -> [[UInt8]] { receiver.readMIDI().map(\.bytes) }

    func testFeedbackReachesAJACKMIDIReceiver() throws {
        let path = "\(folder!)/controller.yaml"
        try mapping.write(toFile: path, atomically: true, encoding: .utf8)
        let knobs = try JACKMIDIOutput(name: "lvjknobs", serverName: server.name)
        let source = try JACKSource(connect: "lvjknobs:", playing: nil, serverName: server.name)
        let producer = try FrameProducerTests.producer(source)
        let store = producer.parameters
        var options = JACKInput.Options()
        options.clientName = "lvjcontroller"; options.serverName = server.name
        let controller = try JACKInput(options: options)
        try controller.activate()
        XCTAssertEqual(try server.tool("jack_connect", ["\(source.input.clientName):midi_out", "\(controller.clientName):midi_in"]), 0)
        let midi = try MIDIControl(store: store, mappingPath: path)
        midi.add { source.input.readMIDI().map { ($0.bytes, nil) } }
        midi.feedbackOut = { source.input.sendMIDI($0) }
        XCTAssertEqual(midi.feedbackEntries, 4, "temperature has no feedback")
        midi.start()
        defer { midi.stop() }

        // At start: every feedback control once, showing the defaults.
        var got: [[UInt8]] = []
        XCTAssertTrue(waitUntil(timeout: 30) { got += self.received(controller); return got.count >= 4 }, "\(got)")
        XCTAssertEqual(Set(got), [[0xB0, 48, 0], [0x91, 36, 0], [0xB0, 0, 64], [0xB0, 16, UInt8((Mapping.Curve.log.apply(1 / 1.5) * 127).rounded())]],
                       "freeze off, blackout off, intensity 1 of 0…2, psi 1 of 0…1.5 through the exponential curve's inverse")

        // A change from anywhere (a tablet, a preset) lights the LED.
        store.set("freeze", 1)
        XCTAssertTrue(waitUntil(timeout: 30) { got = self.received(controller); return got.contains([0xB0, 48, 127]) }, "\(got)")
        store.set("blackout", 1)
        XCTAssertTrue(waitUntil(timeout: 30) { got = self.received(controller); return got.contains([0x91, 36, 127]) }, "\(got)")

        // A toggle pressed on the controller is answered (its LED follows the switch, not the press)…
        knobs.send([0xB0, 48, 127])
        XCTAssertTrue(waitUntil(timeout: 30) { got = self.received(controller); return got.contains([0xB0, 48, 0]) }, "freeze toggled off: \(got)")
        // …a fader moved by hand is not pushed back to where it already is.
        let before = midi.feedbackSent
        knobs.send([0xB0, 0, 100])
        XCTAssertTrue(waitUntil(timeout: 30) { store.value("intensity") == 200.0 / 127 })
        XCTAssertTrue(waitUntil(timeout: 30) { midi.messageCount >= 2 })
        store.set("blackout", 0)                                        // a later change still goes out
        XCTAssertTrue(waitUntil(timeout: 30) { got += self.received(controller); return got.contains([0x91, 36, 0]) }, "\(got)")
        XCTAssertFalse(got.contains { $0.first == 0xB0 && $0[1] == 0 }, "the moved fader was echoed: \(got)")
        XCTAssertEqual(midi.feedbackSent - before, 1)

        // Rate-limited: a flood of changes to one value sends far fewer messages, the last one the final value.
        got = []
        for k in 0..<2000 { store.set("intensity", Double(k % 2) * 2) }
        store.set("intensity", 0.5)
        XCTAssertTrue(waitUntil(timeout: 30) { got += self.received(controller); return got.last == [0xB0, 0, 32] }, "\(got.suffix(3))")
        XCTAssertLessThan(got.count, 50, "2001 changes within a few feedback intervals")

        // A preset recall sends everything again, even what did not change.
        got = []
        midi.refreshFeedback()
        XCTAssertTrue(waitUntil(timeout: 30) { got += self.received(controller); return got.count >= 4 }, "\(got)")
        XCTAssertEqual(Set(got.map { $0.prefix(2) }), [[0xB0, 48], [0x91, 36], [0xB0, 0], [0xB0, 16]])
    }

    func testFeedbackOnAnOSCEntryOrATriggerIsRefusedWithItsLine() {
        let registry = ParameterRegistry.live(noiseResolutions: [4, 8], featureGroups: ["rms"])
        XCTAssertThrowsError(try Mapping.load(yaml: "name: x\ncontrols:\n  - osc: /fader\n    param: intensity\n    feedback: true\n", name: "t.yaml", registry: registry)) {
            XCTAssertEqual("\($0)", "t.yaml:5: feedback: OSC tablets get feedback by subscribing (/lvj/subscribe), not from the mapping")
        }
        XCTAssertThrowsError(try Mapping.load(yaml: "name: x\ncontrols:\n  - midi: {cc: 9}\n    param: deep.reseed\n    feedback: true\n", name: "t.yaml", registry: registry)) {
            XCTAssertEqual("\($0)", "t.yaml:5: feedback: deep.reseed has no value to send back")
        }
        XCTAssertThrowsError(try Mapping.load(yaml: "name: x\ncontrols:\n  - midi: {cc: 9}\n    param: freeze\n    feedback: maybe\n", name: "t.yaml", registry: registry))
    }

    /// The shipped nanoKONTROL2 mapping lights its switch buttons (M and R rows, rec, cycle).
    func testTheShippedNanoKONTROL2LightsItsButtons() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let registry = ParameterRegistry.live(noiseResolutions: [4, 8], featureGroups: ["rms"])
        let nano = try Mapping.load(path: root.appendingPathComponent("Mappings/nanokontrol2.yaml").path, registry: registry)
        let store = ParameterStore(registry: registry)
        var feedback = MappingFeedback(mapping: nano, registry: registry)
        XCTAssertEqual(feedback.count, 10)
        XCTAssertTrue(feedback.messages(store, all: true).contains([0xB0, 52, 127]), "the HUD is on at start: its M button is lit")
        store.set("freeze", 1); store.set("record", 1); store.set("hud", 0)
        let lit = feedback.messages(store, all: false)
        XCTAssertEqual(Set(lit), [[0xB0, 48, 127], [0xB0, 64, 127], [0xB0, 45, 127], [0xB0, 52, 0], [0xB0, 46, 0]])
    }
}
