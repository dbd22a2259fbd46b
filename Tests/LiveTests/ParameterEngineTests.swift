import AllocationCounter
import AudioIn
import Control
import Foundation
import Live
import StyleGAN
import Synthesis
import TestSupport
import XCTest

/// Parameters acting on the frame producer: gains reach the decoder, freeze holds the picture,
/// blackout paints black, palette changes swap in without allocating on the producer; every shipped
/// preset loads and they look different from each other.
final class ParameterEngineTests: TimeLimitedTestCase {
    var root: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }

    func producer() throws -> FrameProducer {
        try FrameProducerTests.producer(FrameProducerTests.BlockSource(seconds: 30, block: 1838))
    }

    func frame(_ p: FrameProducer) -> [UInt8] {
        p.produceFrame()
        _ = p.latest.takeNewest()
        return Array(UnsafeBufferPointer(start: p.latest.shown, count: p.latest.width * p.latest.height * 3))
    }

    func difference(_ a: [UInt8], _ b: [UInt8]) -> Double {
        Double(zip(a, b).reduce(0) { $0 + abs(Int($1.0) - Int($1.1)) }) / Double(a.count)
    }

    func testFreezeHoldsThePictureAndBlackoutPaintsBlack() throws {
        let p = try producer()
        for _ in 0..<20 { _ = frame(p) }
        p.parameters.set("freeze", 1)
        let held = frame(p)
        for _ in 0..<10 { XCTAssertTrue(frame(p) == held, "frozen") }
        p.parameters.set("freeze", 0)
        var moved = 0.0
        for _ in 0..<10 { moved = max(moved, difference(frame(p), held)) }
        XCTAssertGreaterThan(moved, 1, "unfrozen, it follows the music again")
        p.parameters.set("blackout", 1)
        XCTAssertTrue(frame(p).allSatisfy { $0 == 0 })
        p.parameters.set("blackout", 0)
        XCTAssertFalse(frame(p).allSatisfy { $0 == 0 })
    }

    func testGainsReachTheDecoderOnTheNextFrame() throws {
        let p = try producer()
        for _ in 0..<5 { _ = frame(p) }
        let before = frame(p)
        p.parameters.set("psi", 0, ramp: 0)
        // ψ = 0 is the model's average w for every frame: two frames in a row are then identical
        // except for the noise, which intensity 0 and sigma 0 remove.
        for name in ["noise.s4.sigma", "noise.s8.sigma", "noise.s16.sigma", "noise.s32.sigma"] { p.parameters.set(name, 0, ramp: 0) }
        let a = frame(p), b = frame(p)
        XCTAssertTrue(a != before)
        XCTAssertTrue(a == b, "ψ 0 and no noise: the same (average) picture at once, not after a ramp")
    }

    func testPaletteChangeSwapsInWithoutAllocatingOnTheProducer() throws {
        let p = try producer()
        for _ in 0..<30 { _ = frame(p) }
        let before = p.paletteSeeds
        let seed = ParameterBinding.seed(paletteNumber: 9, group: 0)
        let latents = Palette.draw(generator: FrameProducerTests.generator, size: p.paletteSize, seed: seed)
        lvj_count_allocations_begin()
        for _ in 0..<5 { p.produceFrame() }
        XCTAssertEqual(lvj_count_allocations_end(), 0, "without a change")
        p.change(palette: .init(group: 0, latents: latents, seed: seed))
        lvj_count_allocations_begin()
        for _ in 0..<5 { p.produceFrame() }
        let beforeChange = lvj_count_allocations_end()
        lvj_count_allocations_begin()
        for k in 0..<60 {
            if k == 10 { p.parameters.set("intensity", 2) }     // controllers moving meanwhile
            p.produceFrame()
        }
        XCTAssertEqual(lvj_count_allocations_end(), 0)
        XCTAssertEqual(beforeChange, 0)
        XCTAssertEqual(p.paletteSeeds[0], seed)
        XCTAssertEqual(Array(p.paletteSeeds[1...]), Array(before[1...]))
        XCTAssertFalse(p.takeRetiredPalettes().isEmpty, "the old latents come back to be released off the producer")
    }

    func testEveryShippedPresetLoadsAndTheyLookDifferent() throws {
        let network = FrameProducerTests.network
        let registry = ParameterRegistry.live(noiseResolutions: [4, 8, 16, 32, 64, 128], featureGroups: network.features.map(\.name))
        let library = PresetLibrary(folder: root.appendingPathComponent("Presets").path)
        XCTAssertGreaterThanOrEqual(library.names.count, 5)
        var pictures: [String: [UInt8]] = [:]
        for name in library.names {
            let preset = try library.load(name, registry: registry)
            XCTAssertEqual(preset.name, name)
            // Rendered with the small test model (32 px: its own registry, same names where they exist).
            let p = try producer()
            let engine = p.parameters.registry
            for (key, value) in preset.parameters where engine.index(of: key) != nil { p.parameters.set(key, value, ramp: 0) }
            for g in 0..<3 {
                let seed = ParameterBinding.seed(paletteNumber: Int(preset.parameters["\(ParameterRegistry.groups[g]).palette"] ?? 1), group: g)
                p.change(palette: .init(group: g, latents: Palette.draw(generator: FrameProducerTests.generator, size: p.paletteSize, seed: seed), seed: seed))
                _ = frame(p)
            }
            for _ in 0..<30 { _ = frame(p) }
            pictures[name] = frame(p)
        }
        let names = pictures.keys.sorted()
        for i in 0..<names.count { for j in (i + 1)..<names.count {
            XCTAssertGreaterThan(difference(pictures[names[i]]!, pictures[names[j]]!), 4, "\(names[i]) vs \(names[j])")
        } }
    }

    func testBadPresetsAreRefusedWithTheirFileAndField() throws {
        let registry = ParameterRegistry.live(noiseResolutions: [4, 8], featureGroups: ["rms"])
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("presets-\(getpid())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let cases: [(String, String)] = [
            ("name: a\nparameters:\n  intensity: 9\n", "outside"),
            ("name: a\nparameters:\n  intensty: 1\n", "unknown parameter 'intensty'"),
            ("name: a\nparameters:\n  intensity: .nan\n", "not a finite number"),
            ("name: a\n", "parameters"),
            ("name: ../a\nparameters: {}\n", "name: a preset name"),
            ("{{{{", "not a valid preset"),
            ("", "not a valid preset"),
        ]
        for (i, (text, expected)) in cases.enumerated() {
            let path = "\(folder)/bad\(i).preset.yaml"
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try Preset.load(path: path, registry: registry), text) { error in
                XCTAssertTrue("\(error)".contains(expected) && "\(error)".contains("bad\(i).preset.yaml"), "\(error)")
            }
        }
        XCTAssertThrowsError(try PresetLibrary(folder: folder).path(of: "../../etc/passwd"))
    }

    func testSaveAndRecallRoundTrip() throws {
        let p = try producer()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("presets-rt-\(getpid())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let control = EngineControl(producer: p, generator: FrameProducerTests.generator, presets: PresetLibrary(folder: folder), osc: nil,
                                    modelName: "default")
        p.parameters.set("intensity", 2.25); p.parameters.set("middle.palette", 77); p.parameters.set("record", 1)
        control.save("my scene")
        p.parameters.set("intensity", 1); p.parameters.set("middle.palette", 1)
        control.recall("my scene", morph: 0)
        XCTAssertEqual(p.parameters.value("intensity"), 2.25)
        XCTAssertEqual(p.parameters.value("middle.palette"), 77)
        XCTAssertEqual(control.presetName, "my scene")
        XCTAssertEqual(control.presets.names, ["my scene"])
        // Morph: continuous values glide over the time asked; the producer follows frame by frame.
        p.parameters.set("intensity", 0, ramp: 0)
        _ = frame(p)
        control.recall("my scene", morph: 1)
        for _ in 0..<12 { _ = frame(p) }                                   // half a second at 24 fps
        XCTAssertEqual(try XCTUnwrap(p.currentValue("intensity")), 1.125, accuracy: 0.01, "halfway there")
        for _ in 0..<13 { _ = frame(p) }
        XCTAssertEqual(p.currentValue("intensity"), 2.25)
        control.poll(now: 1, status: (30, nil, 120, false))               // palette 77 for the middle group
        for _ in 0..<3 { _ = frame(p) }
        XCTAssertEqual(p.paletteSeeds[1], ParameterBinding.seed(paletteNumber: 77, group: 1))
    }
}

/// A preset made with another envelope network brings it along; one that does not fit changes nothing.
final class PresetNetworkTests: TimeLimitedTestCase {
    func testRecallSwitchesTheEnvelopeNetworkAndRefusesOneThatDoesNotFit() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("presets-net-\(getpid())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // The test producer runs the 24 fps default network; supervised.envelope fits it, live.envelope (30 fps) does not.
        try FileManager.default.copyItem(atPath: root.appendingPathComponent("Presets/supervised.envelope").path, toPath: "\(folder)/supervised.envelope")
        try FileManager.default.copyItem(atPath: root.appendingPathComponent("Presets/live.envelope").path, toPath: "\(folder)/live.envelope")
        try "name: sup\nenvelope: supervised.envelope\nparameters:\n  intensity: 1.5\n".write(toFile: "\(folder)/sup.preset.yaml", atomically: true, encoding: .utf8)
        try "name: fast\nenvelope: live.envelope\nparameters:\n  intensity: 2.5\n".write(toFile: "\(folder)/fast.preset.yaml", atomically: true, encoding: .utf8)
        try "name: gone\nenvelope: nowhere.envelope\nparameters:\n  intensity: 2.7\n".write(toFile: "\(folder)/gone.preset.yaml", atomically: true, encoding: .utf8)
        let p = try FrameProducerTests.producer(FrameProducerTests.BlockSource(seconds: 30, block: 1838))
        let control = EngineControl(producer: p, generator: FrameProducerTests.generator, presets: PresetLibrary(folder: folder), osc: nil,
                                    modelName: "default")
        for _ in 0..<10 { p.produceFrame() }
        control.recall("fast", morph: 0)
        XCTAssertTrue(control.message?.contains("30") ?? false, control.message ?? "")
        XCTAssertEqual(p.parameters.value("intensity"), 1, "a network that does not fit: nothing of the preset applied")
        control.recall("gone", morph: 0)
        XCTAssertTrue(control.message?.contains("nowhere.envelope") ?? false, control.message ?? "")
        XCTAssertEqual(p.parameters.value("intensity"), 1)
        control.recall("sup", morph: 0)
        XCTAssertEqual(p.networkName, "supervised.envelope")
        XCTAssertEqual(p.parameters.value("intensity"), 1.5)
        lvj_count_allocations_begin()
        for _ in 0..<20 { p.produceFrame() }                 // the swap itself frees nothing on the producer
        XCTAssertEqual(lvj_count_allocations_end(), 0)
        control.poll(now: 1, status: (24, nil, 120, false))  // releases the replaced network here
        XCTAssertEqual(p.networkName, "supervised.envelope")
    }
}
