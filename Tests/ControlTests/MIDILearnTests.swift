import Control
import Foundation
import TestSupport
import XCTest

/// MIDI learn: the next control moved becomes an entry, written into the mapping file without
/// disturbing the rest of it, and the file loads again.
final class MIDILearnTests: TimeLimitedTestCase {
    let registry = ParameterRegistry.live(noiseResolutions: [4, 8, 16, 32], featureGroups: ["onsets", "rms", "chroma"])
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("lvj-learn-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    func index(_ name: String) -> Int { registry.index(of: name)! }
    func read(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    func testOfferBindsTheNextControlAndDisarms() {
        let learn = MIDILearn(registry: registry)
        XCTAssertNil(learn.offer(.controlChange(channel: 1, controller: 5, value: 3)), "not armed")
        learn.arm(parameter: index("psi"))
        XCTAssertNil(learn.offer(.noteOff(channel: 1, note: 3, velocity: 0)), "a release is not a move")
        XCTAssertNil(learn.offer(.programChange(channel: 1, program: 3)))
        XCTAssertEqual(learn.armed, index("psi"), "still waiting")
        let e = learn.offer(.controlChange(channel: 3, controller: 5, value: 99))
        XCTAssertEqual(e?.control, .cc(channel: 3, controller: 5))
        XCTAssertEqual(e?.target, .parameter(index("psi")))
        XCTAssertEqual(e?.mode, .absolute)
        XCTAssertNil(learn.armed)
        XCTAssertNil(learn.offer(.controlChange(channel: 3, controller: 6, value: 99)), "disarmed after one")

        learn.arm(parameter: index("freeze"))
        XCTAssertEqual(learn.offer(.noteOn(channel: 1, note: 36, velocity: 90))?.mode, .toggle)
        learn.arm(parameter: index("deep.reseed"))
        XCTAssertNil(learn.offer(.pitchBend(channel: 1, value: 9000)), "pitch bend cannot fire a trigger")
        XCTAssertEqual(learn.offer(.noteOn(channel: 1, note: 37, velocity: 90))?.mode, .trigger)
        learn.arm(parameter: index("intensity"))
        XCTAssertEqual(learn.offer(.noteOn(channel: 1, note: 38, velocity: 90))?.mode, .momentary)
        learn.arm(parameter: index("intensity"))
        XCTAssertEqual(learn.offer(.pitchBend(channel: 2, value: 0))?.control, .pitchBend(channel: 2))
        learn.arm(parameter: index("intensity"))
        learn.cancel()
        XCTAssertNil(learn.offer(.controlChange(channel: 1, controller: 1, value: 1)))
    }

    func testLearnCreatesAMissingFile() throws {
        let path = dir.appendingPathComponent("my-controller.yaml").path
        let entry = Mapping.Entry(control: .cc(channel: 1, controller: 7), target: .parameter(index("intensity")), mode: .absolute)
        try MIDILearn.append(entry, registry: registry, toFile: path)
        XCTAssertEqual(try read(path), "name: my-controller\ncontrols:\n  - midi: {channel: 1, cc: 7}\n    param: intensity\n")
        let m = try Mapping.load(path: path, registry: registry)
        XCTAssertEqual(m.entries.count, 1)
        XCTAssertTrue(m.entries[0].sameBinding(as: entry))
    }

    static let original = """
        # My controller. Comments stay where they are.
        name: test controller
        controls:
            # the big fader
            -   midi: {channel: 1, cc: 0}   # fader 1
                param: deep.amplitude
                range: [0, 2]
            # knob
            -   midi: {channel: 1, cc: 16}
                param: psi
        # trailing comment

        """

    func testAppendKeepsEveryOtherLineAndTheFileStyle() throws {
        let path = dir.appendingPathComponent("c.yaml").path
        try Self.original.write(toFile: path, atomically: true, encoding: .utf8)
        let entry = Mapping.Entry(control: .note(channel: 2, note: 36), target: .parameter(index("freeze")), mode: .momentary)
        try MIDILearn.append(entry, registry: registry, toFile: path)
        XCTAssertEqual(try read(path), """
            # My controller. Comments stay where they are.
            name: test controller
            controls:
                # the big fader
                -   midi: {channel: 1, cc: 0}   # fader 1
                    param: deep.amplitude
                    range: [0, 2]
                # knob
                -   midi: {channel: 1, cc: 16}
                    param: psi
                -   midi: {channel: 2, note: 36}
                    param: freeze
                    mode: momentary
            # trailing comment

            """, "appended after the last entry, in the file's own indentation; a non-default mode is written")
        let m = try Mapping.load(path: path, registry: registry)
        XCTAssertEqual(m.entries.count, 3)
        XCTAssertTrue(m.entries[2].sameBinding(as: entry))
        // And it works: the reloaded mapping routes the learnt note.
        let store = ParameterStore(registry: registry)
        MappingRouter(mapping: m, store: store).handle(.noteOn(channel: 2, note: 36, velocity: 1))
        XCTAssertEqual(store.value("freeze"), 1)
    }

    func testLearningABoundControlReplacesItsEntry() throws {
        let path = dir.appendingPathComponent("c.yaml").path
        try Self.original.write(toFile: path, atomically: true, encoding: .utf8)
        let learn = MIDILearn(registry: registry)
        learn.arm(parameter: index("temperature"))
        let entry = try XCTUnwrap(learn.offer(.controlChange(channel: 1, controller: 0, value: 12)))
        try MIDILearn.append(entry, registry: registry, toFile: path)
        XCTAssertEqual(try read(path), """
            # My controller. Comments stay where they are.
            name: test controller
            controls:
                # the big fader
                -   midi: {channel: 1, cc: 0}
                    param: temperature
                # knob
                -   midi: {channel: 1, cc: 16}
                    param: psi
            # trailing comment

            """, "only the entry's own lines are rewritten")
        let m = try Mapping.load(path: path, registry: registry)
        XCTAssertEqual(m.entries.map(\.target), [.parameter(index("temperature")), .parameter(index("psi"))])
    }

    func testEveryOtherBindingOfTheControlIsRemoved() throws {
        let path = dir.appendingPathComponent("c.yaml").path
        try """
            name: x
            controls:
              - midi: {cc: 7}
                param: intensity
              - osc: /fader
                param: psi
              - midi: {channel: 1, cc: 7}
                param: psi
                range: [0, 1]
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let entry = Mapping.Entry(control: .cc(channel: 1, controller: 7), target: .parameter(index("smoothing")), mode: .absolute)
        try MIDILearn.append(entry, registry: registry, toFile: path)
        XCTAssertEqual(try read(path), """
            name: x
            controls:
              - midi: {channel: 1, cc: 7}
                param: smoothing
              - osc: /fader
                param: psi

            """)
    }

    func testLearnIntoAnEmptyListAndABrokenFile() throws {
        let path = dir.appendingPathComponent("c.yaml").path
        try "name: x\ncontrols: []   # nothing yet\n".write(toFile: path, atomically: true, encoding: .utf8)
        let entry = Mapping.Entry(control: .pitchBend(channel: nil), target: .parameter(index("psi")), range: 0.5...1.25,
                                  curve: .log, invert: true, mode: .absolute)
        try MIDILearn.append(entry, registry: registry, toFile: path)
        XCTAssertEqual(try read(path), """
            name: x
            controls:    # nothing yet
              - midi: {pitchbend: true}
                param: psi
                range: [0.5, 1.25]
                curve: log
                invert: true

            """)
        XCTAssertTrue(try Mapping.load(path: path, registry: registry).entries[0].sameBinding(as: entry))

        try "# started by hand\nname: x\n".write(toFile: path, atomically: true, encoding: .utf8)
        try MIDILearn.append(entry, registry: registry, toFile: path)
        XCTAssertEqual(try read(path), "# started by hand\nname: x\ncontrols:\n  - midi: {pitchbend: true}\n    param: psi\n"
                       + "    range: [0.5, 1.25]\n    curve: log\n    invert: true\n", "a file with only a name gets its list")

        try "name: x\nextra: 1\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try MIDILearn.append(entry, registry: registry, toFile: path), "the result is checked before writing")
        XCTAssertEqual(try read(path), "name: x\nextra: 1\n")

        let broken = "name: x\ncontrols:\n  - midi: {cc: 1}\n    param: nope\n"
        try broken.write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try MIDILearn.append(entry, registry: registry, toFile: path)) { e in
            XCTAssertEqual((e as? MappingError)?.line, 4, "the file's own error is reported")
        }
        XCTAssertEqual(try read(path), broken, "a broken file is left alone")
    }

    func testShippedMappingSurvivesALearnRoundTrip() throws {
        let shipped = MappingTests.mappings.appendingPathComponent("nanokontrol2.yaml").path
        let path = dir.appendingPathComponent("nanokontrol2.yaml").path
        try FileManager.default.copyItem(atPath: shipped, toPath: path)
        let before = try Mapping.load(path: path, registry: registry)
        let entry = Mapping.Entry(control: .cc(channel: 1, controller: 16), target: .parameter(index("shallow.palette")), mode: .relative)
        try MIDILearn.append(entry, registry: registry, toFile: path)
        let after = try Mapping.load(path: path, registry: registry)
        XCTAssertEqual(after.entries.count, before.entries.count, "knob 16 rebound, not added")
        XCTAssertTrue(after.entries.contains { $0.sameBinding(as: entry) })
        XCTAssertFalse(after.entries.contains { $0.target == .parameter(index("psi")) }, "psi was on knob 16")
        let old = try read(shipped).components(separatedBy: "\n"), new = try read(path).components(separatedBy: "\n")
        XCTAssertEqual(old.filter { $0.contains("#") }, new.filter { $0.contains("#") }, "every comment kept")
    }
}
