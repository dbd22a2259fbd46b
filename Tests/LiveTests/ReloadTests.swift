import AllocationCounter
import Basics
import Control
import Foundation
import Live
import ModelFiles
import StyleGAN
import Synthesis
import TestSupport
import XCTest

/// Reloading files while the engine runs (`/lvj/reload`, SIGHUP): a broken, truncated or unfitting
/// model, envelope network, mapping or preset gives a clear error and the running one stays; a good
/// one comes in between frames without allocating on the producer.
final class ReloadTests: TimeLimitedTestCase {
    static let architecture = GeneratorArchitecture(zDim: 16, wDim: 16, imgResolution: 32, channelBase: 64, channelMax: 16, mappingLayers: 2)
    var folder: String!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("reload-\(getpid())-\(UUID().uuidString.prefix(6))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    /// An engine of its own (the reload changes its generator's weights; the shared test model stays as it is).
    func engine(modelSeed: UInt64 = 5) throws -> (FrameProducer, EngineControl, Generator) {
        let g = try Generator(weights: DefaultModel.make(seed: modelSeed, architecture: Self.architecture))
        let decoder = try DecoderSetup().makeDecoder(generator: g, fps: 24)
        let p = try FrameProducer(source: FrameProducerTests.BlockSource(seconds: 30, block: 1838), generator: g,
                                  network: FrameProducerTests.network, decoder: decoder, fps: 24)
        let control = EngineControl(producer: p, generator: g, presets: PresetLibrary(folder: folder), osc: nil, modelName: "model.safetensors")
        for _ in 0..<30 { p.produceFrame() }                  // warm-up
        return (p, control, g)
    }

    /// The generator's picture for fixed latents and its stored noise: it changes only with the weights.
    func picture(_ g: Generator) -> [Float] {
        var z = [Float](repeating: 0, count: g.architecture.zDim)
        for i in z.indices { z[i] = Float(sin(Double(i) * 1.7)) }
        return g.synthesize(ws: g.map(z: z, psi: 0.7), noise: .const)
    }

    /// Main-loop turns (and frames) until the model reload has an outcome.
    func waitForModelReload(_ p: FrameProducer, _ control: EngineControl) -> String {
        var k = 0
        _ = waitUntil(timeout: 120) {
            k += 1
            control.poll(now: Double(k), status: (24, nil, 120, false))
            if let m = control.message, m.contains("reloaded") { return true }
            p.produceFrame()
            return false
        }
        return control.message ?? ""
    }

    func writeModel(seed: UInt64, architecture: GeneratorArchitecture = ReloadTests.architecture, to path: String) throws {
        try SafeTensorsFile.write(DefaultModel.make(seed: seed, architecture: architecture), to: path, dtype: .float32)
    }

    func testBrokenModelFilesLeaveTheRunningModelAndAGoodOneComesInBetweenFrames() throws {
        let path = "\(folder!)/model.safetensors"
        try writeModel(seed: 5, to: path)
        let (p, control, g) = try engine()
        control.modelPath = path
        let running = picture(g)
        let good = try Data(contentsOf: URL(fileURLWithPath: path))

        // Half-written (a copy interrupted), then overwritten with garbage, then another architecture.
        try good.prefix(good.count / 2).write(to: URL(fileURLWithPath: path))
        control.reload(.model)
        var message = waitForModelReload(p, control)
        XCTAssertTrue(message.hasPrefix("model not reloaded, the previous one stays active:"), message)
        XCTAssertTrue(message.contains("model.safetensors"), "the error names the file: \(message)")
        XCTAssertEqual(picture(g), running, "the running model is untouched")

        try Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 2654435761 >> 13) }).write(to: URL(fileURLWithPath: path))
        control.reload(.model)
        message = waitForModelReload(p, control)
        XCTAssertTrue(message.hasPrefix("model not reloaded, the previous one stays active:"), message)
        XCTAssertEqual(picture(g), running)

        var larger = Self.architecture
        larger.imgResolution = 64
        try writeModel(seed: 5, architecture: larger, to: path)
        control.reload(.model)
        message = waitForModelReload(p, control)
        XCTAssertTrue(message.contains("another architecture") && message.contains("restart with --model"), message)
        XCTAssertEqual(picture(g), running)
        XCTAssertEqual(control.modelName, "model.safetensors")

        // Retrained (here: another seed, same architecture): swapped in live.
        try writeModel(seed: 9, to: path)
        let seeds = p.paletteSeeds
        control.reload(.model)
        var k = 0
        _ = waitUntil(timeout: 120) {                        // handed to the producer, not yet swapped
            k += 1; control.poll(now: Double(k), status: (24, nil, 120, false))
            return (control.message ?? "").contains("reloaded")
        }
        XCTAssertEqual(control.message, "model model.safetensors reloaded")
        lvj_count_allocations_begin()
        for _ in 0..<5 { p.produceFrame() }
        XCTAssertEqual(lvj_count_allocations_end(), 0, "the swap copies weights in place: nothing allocated on the producer")
        XCTAssertTrue(p.takeRetiredModel(), "the loaded model comes back to be released off the producer")
        let retrained = try Generator(weights: DefaultModel.make(seed: 9, architecture: Self.architecture))
        XCTAssertEqual(picture(g), picture(retrained), "every weight of the new file is in use (mapping, synthesis, noise, w average)")
        XCTAssertNotEqual(picture(g), running)
        XCTAssertEqual(g.wAverageValues, retrained.wAverageValues)
        XCTAssertEqual(p.paletteSeeds, seeds, "the same palette numbers, drawn through the new mapping network")
    }

    func testTheDefaultModelHasNoFileToReload() throws {
        let (_, control, _) = try engine()
        control.reload(.model)
        XCTAssertTrue(control.message?.contains("no file to reload") ?? false, control.message ?? "")
    }

    func testBrokenEnvelopeNetworkLeavesTheRunningOne() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let path = "\(folder!)/mine.envelope"
        try FileManager.default.copyItem(atPath: root.appendingPathComponent("Presets/default.envelope").path, toPath: path)
        let (p, control, _) = try engine()
        control.envelopePath = path
        let good = try Data(contentsOf: URL(fileURLWithPath: path))
        try good.prefix(good.count - 100).write(to: URL(fileURLWithPath: path))
        control.reload(.envelope)
        XCTAssertTrue(control.message?.hasPrefix("envelope network not reloaded, the previous one stays active:") ?? false, control.message ?? "")
        XCTAssertTrue(control.message?.contains("mine.envelope") ?? false, control.message ?? "")
        XCTAssertEqual(p.networkName, "envelope network", "still the network it started with")
        // One that does not fit (30 fps against the engine's 24): refused, says why.
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.copyItem(atPath: root.appendingPathComponent("Presets/live.envelope").path, toPath: path)
        control.reload(.envelope)
        XCTAssertTrue(control.message?.contains("30") ?? false, control.message ?? "")
        XCTAssertEqual(p.networkName, "envelope network")
        try FileManager.default.removeItem(atPath: path)
        try good.write(to: URL(fileURLWithPath: path))
        control.reload(.envelope)
        XCTAssertEqual(control.message, "envelope network mine.envelope reloaded")
        XCTAssertEqual(p.networkName, "mine.envelope")
        lvj_count_allocations_begin()
        for _ in 0..<5 { p.produceFrame() }
        XCTAssertEqual(lvj_count_allocations_end(), 0)
    }

    func testBrokenMappingLeavesTheRunningOneAndBrokenPresetsAreNamed() throws {
        let (p, control, _) = try engine()
        let mapping = "\(folder!)/knobs.yaml"
        try "name: knobs\ncontrols:\n  - midi: {channel: 1, cc: 7}\n    param: intensity\n".write(toFile: mapping, atomically: true, encoding: .utf8)
        control.midi = try MIDIControl(store: p.parameters, mappingPaths: [mapping])
        control.midi?.handle(bytes: [0xB0, 7, 127])
        XCTAssertEqual(p.parameters.value("intensity"), 3, "the knob drives intensity to its maximum")
        try "name: knobs\ncontrols:\n  - midi: {channel: 1, cc: 7}\n    param: no.such.thing\n".write(toFile: mapping, atomically: true, encoding: .utf8)
        control.reload(.mapping)
        let message = control.message ?? ""
        XCTAssertTrue(message.hasPrefix("mapping not reloaded, the previous one stays active:"), message)
        XCTAssertTrue(message.contains("knobs.yaml:4"), "file and line: \(message)")
        control.midi?.handle(bytes: [0xB0, 7, 0])
        XCTAssertEqual(p.parameters.value("intensity"), 0, "the previous mapping still drives intensity")

        try "name: calm\nparameters:\n  intensity: 0.5\n".write(toFile: "\(folder!)/calm.preset.yaml", atomically: true, encoding: .utf8)
        try "name: wild\nparameters: [1, 2\n".write(toFile: "\(folder!)/wild.preset.yaml", atomically: true, encoding: .utf8)
        control.reload(.presets)
        XCTAssertTrue(control.message?.hasPrefix("presets: 1 of 2 good; broken:") ?? false, control.message ?? "")
        XCTAssertTrue(control.message?.contains("wild.preset.yaml") ?? false, control.message ?? "")
        control.recall("wild", morph: 0)
        XCTAssertTrue(control.message?.hasPrefix("preset not loaded") ?? false, control.message ?? "")
        XCTAssertEqual(p.parameters.value("intensity"), 0, "nothing of a broken preset is applied")
    }

    func testReloadOverOSCIsValidated() throws {
        let store = ParameterStore(registry: .live(noiseResolutions: [4, 8], featureGroups: ["rms"]))
        let server = try OSCServer(port: 0, store: store)
        defer { server.stop() }
        server.handleParsed(path: "/lvj/reload", arguments: [], host: "127.0.0.1")
        server.handleParsed(path: "/lvj/reload", arguments: [.text("model")], host: "127.0.0.1")
        server.handleParsed(path: "/lvj/reload", arguments: [.text("everything")], host: "127.0.0.1")
        server.handleParsed(path: "/lvj/reload", arguments: [.number(1)], host: "127.0.0.1")
        server.handleParsed(path: "/lvj/reload", arguments: [.text("model"), .text("mapping")], host: "127.0.0.1")
        XCTAssertEqual(server.takeCommands(), [.reload(.all), .reload(.model)])
        XCTAssertEqual(server.rejected(.outOfRange), 1)
        XCTAssertEqual(server.rejected(.wrongType), 1)
        XCTAssertEqual(server.rejected(.wrongArity), 1)
    }
}
