import Foundation
import TestSupport
import XCTest

/// The failure drill for files edited during a set: the running engine's model, envelope network,
/// mapping and a preset are replaced by garbage and reloaded (OSC `/lvj/reload`): each gives a clear
/// error and the running one stays active, the show goes on (every frame rendered and logged). Good files are then put
/// back and SIGHUP reloads everything.
final class ReloadDrillTests: EngineOSCTestCase {
    func testGarbageFilesReloadedWhileRunningLeaveThePreviousOnesActive() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let presets = "\(folder!)/presets", model = "\(folder!)/retrained.safetensors", mapping = "\(folder!)/tablet.yaml"
        let envelope = "\(presets)/live.envelope", preset = "\(presets)/calm.preset.yaml"
        try FileManager.default.createDirectory(atPath: presets, withIntermediateDirectories: true)
        for (from, to) in [("Presets/live.envelope", envelope), ("Presets/calm.preset.yaml", preset), ("Mappings/touchosc.yaml", mapping)] {
            try FileManager.default.copyItem(atPath: root.appendingPathComponent(from).path, toPath: to)
        }
        let made = try CLI.run(["model", "init", "--seed", "7", "-o", model], environment: environment)
        XCTAssertEqual(made.status, 0, made.stderr)
        let good = try [model, envelope, mapping, preset].map { ($0, try Data(contentsOf: URL(fileURLWithPath: $0))) }

        let engine = try startEngine(["--model", model, "--envelope", envelope, "--presets", presets, "--mapping", mapping])
        // Mid-set, every file goes bad: a model copy cut off half-way, random bytes for the network,
        // a mapping with a typo, a preset with broken YAML.
        try good[0].1.prefix(good[0].1.count / 2).write(to: URL(fileURLWithPath: model))
        try Data((0..<2048).map { UInt8(truncatingIfNeeded: $0 &* 2654435761 >> 11) }).write(to: URL(fileURLWithPath: envelope))
        try String(decoding: good[2].1, as: UTF8.self).replacingOccurrences(of: "param: intensity", with: "param: intensty")
            .write(toFile: mapping, atomically: true, encoding: .utf8)
        try "name: calm\nparameters: {intensity: [\n".write(toFile: preset, atomically: true, encoding: .utf8)
        for what in ["mapping", "envelope", "model", "presets"] { try oscsend(["/lvj/reload", "s", what]) }
        try oscsend(["/lvj/preset/load", "s", "calm"])
        // Each refusal is an event naming the file, and a line for people saying why.
        for file in ["mapping", "envelope network", "model", "presets"] { try engine.waitForEvent("reload_refused", "file", file) }
        try engine.waitForEvent("preset_refused", "action", "loaded")
        try oscsend(["/1/fader4", "f", "0.25"])               // the previous mapping: fader 4 → intensity (0…3)
        try engine.waitForValue("/lvj/intensity", 0.75)
        try engine.waitForFrames(5)

        // The good files come back (the model retrained: another seed); SIGHUP reloads everything.
        for (path, data) in good where path != model { try data.write(to: URL(fileURLWithPath: path)) }
        let retrained = try CLI.run(["model", "init", "--seed", "8", "-o", model], environment: environment)
        XCTAssertEqual(retrained.status, 0, retrained.stderr)
        kill(engine.child.pid, SIGHUP)
        for file in ["mapping", "envelope network live.envelope", "model retrained.safetensors", "presets"] {
            try engine.waitForEvent("reloaded", "file", file)
        }
        try oscsend(["/lvj/preset/load", "s", "calm"])
        try engine.waitForEvent("preset_recalled", "name", "calm")
        try engine.waitForValue("/lvj/intensity", 0.6)
        try engine.waitForFrames(5)

        let end = try engine.stop()
        XCTAssertEqual(end.status, 0, end.stderr)
        let stderr = end.stderr
        for line in ["mapping not reloaded, the previous one stays active: tablet.yaml:20: param:",
                     "envelope network not reloaded, the previous one stays active: \(envelope):",
                     "model not reloaded, the previous one stays active: \(model):",
                     "presets: 0 of 1 good; broken: \(preset):",
                     "preset not loaded: \(preset):",
                     "mapping reloaded: TouchOSC Simple layout",
                     "envelope network live.envelope reloaded",
                     "model retrained.safetensors reloaded",
                     "presets: 1 checked, all good",
                     "preset calm"] {
            XCTAssertTrue(stderr.contains(line), "'\(line)' in:\n\(stderr)")
        }
        XCTAssertTrue(stderr.contains("intensty"), "the mapping error names the field's bad value: \(stderr)")
        let intensity = try logged("intensity")
        XCTAssertTrue(intensity.contains(0.75), "the previous mapping kept working after the failed reload")
        XCTAssertEqual(try XCTUnwrap(intensity.last), 0.6, accuracy: 1e-9, "the repaired preset was recalled at the end")
        // The show never stopped: every frame rendered is in the performance log, in order, and the
        // recording is playable.
        try assertEveryFrameLogged(summary: end.events.event("summary"))
        let probe = try CLI.probe("\(folder!)/set.mkv")
        XCTAssertEqual((probe["streams"] as? [[String: Any]])?.count, 2, "video and audio: \(probe)")
    }
}
