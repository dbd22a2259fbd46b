import Control
import Foundation
import TestSupport
import XCTest

/// Mapping files: the shipped ones load, broken ones are reported at their line, and the router
/// turns controller input into parameter values by the documented rules.
final class MappingTests: TimeLimitedTestCase {
    let registry = ParameterRegistry.live(noiseResolutions: [4, 8, 16, 32], featureGroups: ["onsets", "rms", "chroma"])

    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let mappings = repoRoot.appendingPathComponent("Mappings")

    func load(_ yaml: String) throws -> Mapping { try Mapping.load(yaml: yaml, name: "t.yaml", registry: registry) }
    func index(_ name: String) -> Int { registry.index(of: name)! }

    /// The error text a broken file gives.
    func error(_ yaml: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            _ = try load(yaml)
            XCTFail("loaded a broken file", file: file, line: line)
            return ""
        } catch let e as MappingError {
            return e.description
        } catch {
            XCTFail("not a MappingError: \(error)", file: file, line: line)
            return ""
        }
    }

    // MARK: Shipped files

    func testEveryShippedMappingLoads() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.mappings.path).filter { $0.hasSuffix(".yaml") }.sorted()
        XCTAssertTrue(files.contains("nanokontrol2.yaml") && files.contains("touchosc.yaml"), "\(files)")
        for f in files {
            let m = try Mapping.load(path: Self.mappings.appendingPathComponent(f).path, registry: registry)
            XCTAssertFalse(m.name.isEmpty, f)
            XCTAssertFalse(m.entries.isEmpty, f)
            XCTAssertEqual(m.skipped, [], "\(f): every optional parameter exists in the full registry")
        }
        let nano = try Mapping.load(path: Self.mappings.appendingPathComponent("nanokontrol2.yaml").path, registry: registry)
        let faders = nano.entries.filter { if case .cc(.some(1), 0...7) = $0.control { true } else { false } }
        XCTAssertEqual(faders.count, 8, "eight faders on CC 0–7")
        XCTAssertTrue(nano.entries.contains { $0.control == .program(channel: nil, number: nil) && $0.target == .preset })
        XCTAssertTrue(nano.entries.contains { $0.control == .cc(channel: 1, controller: 60) && $0.target == .parameter(registry.index(of: "tempo.tap")!) },
                      "set marker taps the tempo")
    }

    func testOptionalEntriesAreSkippedWhenTheEngineLacksTheParameter() throws {
        let small = ParameterRegistry.live(noiseResolutions: [4, 8], featureGroups: ["rms"])
        let m = try Mapping.load(path: Self.mappings.appendingPathComponent("nanokontrol2.yaml").path, registry: small)
        XCTAssertEqual(m.skipped.count, 4, "s16, s32, onsets, chroma")
        XCTAssertEqual(m.skipped.first?.description, "nanokontrol2.yaml:29: param: no parameter 'noise.s16.sigma' in this engine; optional entry skipped")
        XCTAssertThrowsError(try Mapping.load(yaml: "name: x\ncontrols:\n  - osc: /a\n    param: weight.onsets\n", name: "t.yaml", registry: small),
                             "without optional: true a missing parameter is an error")
    }

    /// The Open Stage Control session: valid JSON of the v1 session shape, and every /lvj address
    /// in it is a parameter or an engine command.
    func testOpenStageControlSessionAddressesExist() throws {
        let data = try Data(contentsOf: Self.mappings.appendingPathComponent("open-stage-control.json"))
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(json["type"] as? String, "session")
        let root = try XCTUnwrap(json["content"] as? [String: Any])
        XCTAssertEqual(root["type"] as? String, "root")
        let commands: Set<String> = ["/lvj/preset/load", "/lvj/preset/save", "/lvj/preset/morph", "/lvj/record/start", "/lvj/record/stop",
                                     "/lvj/learn", "/lvj/list", "/lvj/query", "/lvj/subscribe"]
        var addresses: [String] = []
        func walk(_ node: Any) {
            if let d = node as? [String: Any] {
                if let a = d["address"] as? String, a.hasPrefix("/lvj/") { addresses.append(a) }
                d.values.forEach(walk)
            } else if let a = node as? [Any] {
                a.forEach(walk)
            }
        }
        walk(root)
        XCTAssertGreaterThan(addresses.count, 20)
        for a in addresses {
            let parts = a.split(separator: "/")
            let reseed = parts.count == 4 && parts[1] == "palette" && ParameterRegistry.groups.contains(String(parts[2])) && parts[3] == "reseed"
            XCTAssertTrue(registry.index(ofOSC: a) != nil || commands.contains(a) || reseed, "unknown address \(a)")
        }
        for needed in ["/lvj/deep/amplitude", "/lvj/intensity", "/lvj/noise/s16/sigma", "/lvj/freeze", "/lvj/palette/deep/reseed",
                       "/lvj/record/start", "/lvj/record/stop", "/lvj/preset/load"] {
            XCTAssertTrue(addresses.contains(needed), needed)
        }
    }

    // MARK: Errors name file, line and field

    func testErrorsNameFileLineAndField() {
        XCTAssertEqual(error("""
            name: test
            controls:
              - midi: {channel: 1, cc: 0}
                param: deep.amplitud
            """), "t.yaml:4: param: unknown parameter 'deep.amplitud' (did you mean deep.amplitude?)")
        XCTAssertEqual(error("""
            name: test
            controls:
              - osc: /1/fader1
                param: intensity
              - midi: {channel: 1, cc: 200}
                param: psi
            """), "t.yaml:5: cc: must be 0–127")
        XCTAssertEqual(error("""
            name: test
            controls:
              - midi:
                  channel: 17
                  cc: 1
                param: psi
            """), "t.yaml:4: channel: must be 1–16")
        XCTAssertEqual(error("""
            name: test
            controls:
              - midi: {cc: 1}
                param: psi
                curv: log
            """), "t.yaml:5: curv: unknown key (expected one of: midi, osc, arg, param, range, curve, invert, mode, optional, feedback)")
        XCTAssertEqual(error("""
            name: test
            # a comment line
            controls:
              - midi: {cc: 1}
                mode: absolute
            """), "t.yaml:4: param: missing: which parameter this control drives")
        XCTAssertEqual(error("""
            name: test
            controls:
              - midi: {cc: 1}
                param: deep.amplitude
                range: [0, 5]
            """), "t.yaml:5: range: [0, 5] is outside deep.amplitude's range [0, 3]")
        XCTAssertEqual(error("""
            name: test
            controls:
              - midi: {note: 36}
                param: psi
                mode: absolute
            """), "t.yaml:5: mode: absolute does not work with a note (it takes toggle, momentary, trigger)")
        XCTAssertEqual(error("""
            name: test
            controls:
              - midi: {cc: 36}
                param: psi
                mode: trigger
            """), "t.yaml:5: mode: trigger is for trigger parameters; psi is not one: use momentary or toggle")
        XCTAssertEqual(error("""
            name: test
            controls:
              - midi: {pitchbend: true}
                param: deep.reseed
            """), "t.yaml:3: mode: deep.reseed is a trigger; pitch bend cannot fire it (use a cc, note or osc)")
        XCTAssertEqual(error("""
            name: test
            controls:
              - midi: {program: any}
                param: intensity
            """), "t.yaml:4: param: a program change recalls presets: use `param: preset`")
        XCTAssertEqual(error("""
            name: test
            controls:
              - midi: {cc: 3}
                param: psi
                curve: log
                mode: relative
            """), "t.yaml:5: curve: only absolute mode has a curve (this entry is relative)")
        XCTAssertEqual(error("""
            controls:
              - midi: {cc: 3}
                param: psi
            """), "t.yaml:1: name: missing (a title for the controller or layout)")
    }

    func testSyntaxErrorsAndEmptyFiles() throws {
        XCTAssertEqual(error(""), "t.yaml:1: file: empty mapping file (expected `name:` and `controls:`)")
        XCTAssertEqual(error("# only a comment\n\n"), "t.yaml:1: file: empty mapping file (expected `name:` and `controls:`)")
        XCTAssertEqual(error("just some words"), "t.yaml:1: file: expected `name:` and `controls:` at the top level")
        // An unclosed flow mapping: libyaml notices at the next key.
        let unclosed = error("""
            name: test
            controls:
              - midi: {channel: 1, cc: 0
                param: psi
            """)
        XCTAssertTrue(unclosed.hasPrefix("t.yaml:4: yaml: not valid YAML: "), unclosed)
        let tab = error("name: test\ncontrols:\n  - midi: {cc: 1}\n\tparam: psi\n")
        XCTAssertTrue(tab.hasPrefix("t.yaml:4: yaml: not valid YAML: "), tab)
        XCTAssertEqual(error("""
            name: test
            controls:
              - midi: {cc: 1}
                param: psi
                param: intensity
            """), "t.yaml:5: param: key given twice (first on line 4)")
        // Through a file: the file name, not the path.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lvj-mapping-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("broken.yaml").path
        try "name: x\ncontrols:\n  - osc: /x\n    param: nope\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Mapping.load(path: path, registry: registry)) { e in
            XCTAssertEqual("\(e)", "broken.yaml:4: param: unknown parameter 'nope' (see `latentvj params` for the list)")
        }
        XCTAssertThrowsError(try Mapping.load(path: dir.appendingPathComponent("absent.yaml").path, registry: registry)) { e in
            XCTAssertTrue("\(e)".hasPrefix("absent.yaml: file: cannot read"), "\(e)")
        }
    }

    // MARK: Curves and the router

    func testCurvesFollowTheirFormulas() {
        let k = 4.0
        for i in 0...20 {
            let x = Double(i) / 20
            XCTAssertEqual(Mapping.Curve.linear.apply(x), x)
            XCTAssertEqual(Mapping.Curve.exponential.apply(x), (exp(k * x) - 1) / (exp(k) - 1), accuracy: 1e-12)
            XCTAssertEqual(Mapping.Curve.log.apply(x), Foundation.log(1 + x * (exp(k) - 1)) / k, accuracy: 1e-12)
            XCTAssertEqual(Mapping.Curve.log.apply(Mapping.Curve.exponential.apply(x)), x, accuracy: 1e-12, "log is the inverse")
        }
        XCTAssertEqual(Mapping.Curve.exponential.apply(1), 1, accuracy: 1e-12)
        XCTAssertLessThan(Mapping.Curve.exponential.apply(0.5), 0.13)
    }

    func testAbsoluteControlsThroughCurveInvertAndRange() throws {
        let m = try load("""
            name: test
            controls:
              - midi: {channel: 1, cc: 0}
                param: deep.amplitude
                range: [0, 2]
              - midi: {channel: 1, cc: 1}
                param: temperature
                curve: exponential
              - midi: {channel: 2, cc: 2}
                param: psi
                invert: true
              - midi: {pitchbend: true}
                param: intensity
              - midi: {cc: 3}
                param: loop.bars
            """)
        let store = ParameterStore(registry: registry)
        let router = MappingRouter(mapping: m, store: store)
        XCTAssertEqual(router.handle(.controlChange(channel: 1, controller: 0, value: 127)), [index("deep.amplitude")])
        XCTAssertEqual(store.value("deep.amplitude"), 2, "top of the entry's range, not the parameter's")
        router.handle(.controlChange(channel: 1, controller: 0, value: 0))
        XCTAssertEqual(store.value("deep.amplitude"), 0)
        router.handle(.controlChange(channel: 1, controller: 1, value: 64))
        XCTAssertEqual(store.value("temperature")!, 0.05 + Mapping.Curve.exponential.apply(64.0 / 127) * 4.95, accuracy: 1e-12)
        XCTAssertEqual(router.handle(.controlChange(channel: 1, controller: 2, value: 0)), [], "wrong channel")
        router.handle(.controlChange(channel: 2, controller: 2, value: 0))
        XCTAssertEqual(store.value("psi"), 1.5, "inverted: bottom is the top of the range")
        router.handle(.pitchBend(channel: 9, value: 16383))
        XCTAssertEqual(store.value("intensity"), 3, "no channel: any channel")
        router.handle(.pitchBend(channel: 9, value: 8192))
        XCTAssertEqual(store.value("intensity")!, 3 * 8192 / 16383, accuracy: 1e-12)
        router.handle(.controlChange(channel: 5, controller: 3, value: 64))
        XCTAssertEqual(store.value("loop.bars"), 32, "integers are rounded by the store")
        XCTAssertEqual(router.handle(.controlChange(channel: 1, controller: 99, value: 5)), [], "nothing mapped")
        XCTAssertEqual(router.handle(.noteOn(channel: 1, note: 0, velocity: 5)), [], "a note is not a cc")
    }

    func testFourteenBitPairs() throws {
        let m = try load("name: t\ncontrols:\n  - midi: {channel: 1, cc14: 1}\n    param: intensity\n")
        let store = ParameterStore(registry: registry)
        let router = MappingRouter(mapping: m, store: store)
        XCTAssertEqual(router.handle(.controlChange(channel: 1, controller: 33, value: 5)), [], "an LSB before any MSB is ignored")
        XCTAssertEqual(router.handle(.controlChange(channel: 1, controller: 1, value: 64)), [index("intensity")], "MSB alone applies")
        XCTAssertEqual(store.value("intensity")!, 3 * Double(64 << 7) / 16383, accuracy: 1e-12)
        XCTAssertEqual(router.handle(.controlChange(channel: 1, controller: 33, value: 127)), [index("intensity")])
        XCTAssertEqual(store.value("intensity")!, 3 * Double(64 << 7 | 127) / 16383, accuracy: 1e-12, "LSB completes the latest MSB")
        router.handle(.controlChange(channel: 1, controller: 1, value: 127))
        router.handle(.controlChange(channel: 1, controller: 33, value: 127))
        XCTAssertEqual(store.value("intensity"), 3, "full scale is 16383")
        XCTAssertEqual(router.handle(.controlChange(channel: 2, controller: 33, value: 0)), [], "MSBs are kept per channel")
        router.replace(mapping: m)
        XCTAssertEqual(router.handle(.controlChange(channel: 1, controller: 33, value: 0)), [], "a new mapping forgets held MSBs")
    }

    func testRelativeEncodersStepFromTheStoredValue() throws {
        let m = try load("""
            name: t
            controls:
              - midi: {cc: 16}
                param: intensity
                mode: relative
              - midi: {cc: 17}
                param: loop.bars
                mode: relative
              - midi: {cc: 18}
                param: psi
                mode: relative
                invert: true
            """)
        let store = ParameterStore(registry: registry)
        let router = MappingRouter(mapping: m, store: store)
        store.set("intensity", 1)
        router.handle(.controlChange(channel: 1, controller: 16, value: 3))
        XCTAssertEqual(store.value("intensity")!, 1 + 3 * 3.0 / 127, accuracy: 1e-12, "+3 steps of a 127th of the range")
        router.handle(.controlChange(channel: 1, controller: 16, value: 126))
        XCTAssertEqual(store.value("intensity")!, 1 + 1 * 3.0 / 127, accuracy: 1e-12, "126 = −2")
        XCTAssertEqual(router.handle(.controlChange(channel: 1, controller: 16, value: 64)), [], "64: no move")
        XCTAssertEqual(router.handle(.controlChange(channel: 1, controller: 16, value: 0)), [])
        router.handle(.controlChange(channel: 1, controller: 17, value: 3))
        XCTAssertEqual(store.value("loop.bars"), 3, "whole-numbered parameters step by 1")
        router.handle(.controlChange(channel: 1, controller: 17, value: 126))
        XCTAssertEqual(store.value("loop.bars"), 1)
        router.handle(.controlChange(channel: 1, controller: 17, value: 65))
        XCTAssertEqual(store.value("loop.bars"), 0, "clamped at the bottom of the range")
        store.set("psi", 1)
        router.handle(.controlChange(channel: 1, controller: 18, value: 1))
        XCTAssertEqual(store.value("psi")!, 1 - 1.5 / 127, accuracy: 1e-12, "inverted direction")
    }

    func testToggleMomentaryAndTrigger() throws {
        let m = try load("""
            name: t
            controls:
              - midi: {note: 40}
                param: freeze
              - midi: {cc: 48}
                param: blackout
                mode: toggle
              - midi: {note: 41}
                param: intensity
                range: [0.5, 2]
              - midi: {cc: 64}
                param: hud
                mode: momentary
                invert: true
              - midi: {note: 42}
                param: deep.reseed
              - midi: {cc: 32}
                param: middle.reseed
            """)
        XCTAssertEqual(m.entries.map(\.mode), [.toggle, .toggle, .momentary, .momentary, .trigger, .trigger], "defaults by kind")
        let store = ParameterStore(registry: registry)
        let router = MappingRouter(mapping: m, store: store)
        // Toggle: press flips, release is ignored.
        router.handle(.noteOn(channel: 1, note: 40, velocity: 100))
        XCTAssertEqual(store.value("freeze"), 1)
        XCTAssertEqual(router.handle(.noteOff(channel: 1, note: 40, velocity: 0)), [])
        XCTAssertEqual(store.value("freeze"), 1)
        router.handle(.noteOn(channel: 1, note: 40, velocity: 1))
        XCTAssertEqual(store.value("freeze"), 0)
        router.handle(.controlChange(channel: 1, controller: 48, value: 127))
        XCTAssertEqual(router.handle(.controlChange(channel: 1, controller: 48, value: 0)), [], "CC release ignored")
        XCTAssertEqual(store.value("blackout"), 1)
        router.handle(.controlChange(channel: 1, controller: 48, value: 127))
        XCTAssertEqual(store.value("blackout"), 0)
        // Momentary: held high, released low (inverted: the other way round).
        router.handle(.noteOn(channel: 1, note: 41, velocity: 100))
        XCTAssertEqual(store.value("intensity"), 2)
        router.handle(.noteOff(channel: 1, note: 41, velocity: 0))
        XCTAssertEqual(store.value("intensity"), 0.5)
        router.handle(.controlChange(channel: 1, controller: 64, value: 127))
        XCTAssertEqual(store.value("hud"), 0)
        router.handle(.controlChange(channel: 1, controller: 64, value: 0))
        XCTAssertEqual(store.value("hud"), 1)
        // Trigger: fires once per press, seen by the frame-rate follower.
        let follower = ParameterFollower(store: store)
        let deep = index("deep.reseed"), middle = index("middle.reseed")
        XCTAssertEqual(router.handle(.noteOn(channel: 1, note: 42, velocity: 100)), [deep])
        follower.advance(dt: 1.0 / 30)
        XCTAssertTrue(follower.fired(deep))
        XCTAssertEqual(router.handle(.noteOff(channel: 1, note: 42, velocity: 0)), [])
        follower.advance(dt: 1.0 / 30)
        XCTAssertFalse(follower.fired(deep), "fired once, not again on release")
        router.handle(.controlChange(channel: 1, controller: 32, value: 127))
        router.handle(.controlChange(channel: 1, controller: 32, value: 0))
        follower.advance(dt: 1.0 / 30)
        XCTAssertTrue(follower.fired(middle))
        follower.advance(dt: 1.0 / 30)
        XCTAssertFalse(follower.fired(middle))
    }

    func testProgramChangeRecallsPresetSlots() throws {
        let m = try load("name: t\ncontrols:\n  - midi: {program: any}\n    param: preset\n  - midi: {channel: 2, program: 3}\n    param: preset\n")
        var slots: [Int] = []
        let router = MappingRouter(mapping: m, store: ParameterStore(registry: registry)) { slots.append($0) }
        XCTAssertEqual(router.handle(.programChange(channel: 1, program: 4)), [], "no parameter is set")
        router.handle(.programChange(channel: 2, program: 3))
        XCTAssertEqual(slots, [5, 4], "program N is slot N+1, once even when two entries match")
    }

    func testOSCEntries() throws {
        let m = try Mapping.load(path: Self.mappings.appendingPathComponent("touchosc.yaml").path, registry: registry)
        let store = ParameterStore(registry: registry)
        let router = MappingRouter(mapping: m, store: store)
        let follower = ParameterFollower(store: store)
        XCTAssertTrue(router.handles(osc: "/1/fader1"))
        XCTAssertFalse(router.handles(osc: "/lvj/intensity"))
        XCTAssertEqual(router.handle(osc: "/1/fader1", value: 0.5), index("deep.amplitude"))
        XCTAssertEqual(store.value("deep.amplitude"), 1.5)
        XCTAssertEqual(router.handle(osc: "/1/fader1", value: 7), index("deep.amplitude"))
        XCTAssertEqual(store.value("deep.amplitude"), 3, "positions are clamped to 0…1")
        XCTAssertNil(router.handle(osc: "/1/fader1", value: .nan))
        XCTAssertEqual(store.value("deep.amplitude"), 3)
        XCTAssertNil(router.handle(osc: "/9/nothing", value: 1))
        router.handle(osc: "/1/toggle1", value: 1)
        XCTAssertEqual(store.value("freeze"), 1)
        router.handle(osc: "/2/toggle1", value: 1)
        XCTAssertEqual(store.value("synth"), 0, "inverted: lit is gru")
        XCTAssertEqual(Set(router.handle(osc: "/3/xy", arguments: [1, 0.5])), [index("temperature"), index("psi")])
        XCTAssertEqual(store.value("temperature"), 5)
        XCTAssertEqual(store.value("psi"), 0.75)
        router.handle(osc: "/2/push1", value: 1)
        router.handle(osc: "/2/push1", value: 0)
        follower.advance(dt: 0.03)
        XCTAssertTrue(follower.fired(index("deep.reseed")))
        router.handle(osc: "/2/push1", value: 0)
        follower.advance(dt: 0.03)
        XCTAssertFalse(follower.fired(index("deep.reseed")), "release does not fire")
    }

    func testControlsOverlap() {
        typealias C = Mapping.Control
        XCTAssertTrue(C.cc(channel: nil, controller: 3).overlaps(.cc(channel: 5, controller: 3)))
        XCTAssertFalse(C.cc(channel: 1, controller: 3).overlaps(.cc(channel: 2, controller: 3)))
        XCTAssertTrue(C.cc14(channel: 1, controller: 3).overlaps(.cc(channel: 1, controller: 35)))
        XCTAssertFalse(C.note(channel: 1, note: 3).overlaps(.cc(channel: 1, controller: 3)))
        XCTAssertTrue(C.osc(address: "/a", argument: 0).overlaps(.osc(address: "/a", argument: 0)))
        XCTAssertFalse(C.osc(address: "/a", argument: 0).overlaps(.osc(address: "/a", argument: 1)))
    }
}
