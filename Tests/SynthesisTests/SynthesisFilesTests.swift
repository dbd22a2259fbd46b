import Basics
import Features
import Foundation
import ModelFiles
import StyleGAN
import Synthesis
import TestSupport
import XCTest

/// The synthesizers' files (HiPPO envelopes, envelope networks): round trips, and every refusal names the
/// file and the problem. Also the decoder setup's refusal of a model it cannot drive.
final class SynthesisFilesTests: TimeLimitedTestCase {
    var folder: String!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("lvj-files-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    // MARK: fixtures

    func envelopesFile(frames: Int = 50) -> EnvelopesFile {
        var setup = DecoderSetup()
        setup.paletteSeeds = DecoderSetup.paletteSeeds(4); setup.noiseSeed = 9
        let basis = LegendreBasis(frames: frames, count: 8, padding: 16)
        return EnvelopesFile(audio: "song.wav", fps: 24, frames: frames, decoder: setup, basis: basis,
                             coefficients: SynthesisFixtures.randomMatrix(8, 17, seed: 1, scale: 0.3),
                             featureWeights: ["chroma": 10], correlation: 0.42, steps: 64)
    }

    func modelFile() -> EnvelopeModelFile {
        let network = EnvelopeNetwork(shape: EnvelopeNetworkShape(inputs: CausalLayout.width, hidden: 4, layers: 2, outputs: 17), seed: 2)
        var rng = SeededRandom(seed: 3)
        let rows = [(0..<(10 * CausalLayout.width)).map { _ in Float(rng.normal()) }]
        let record = EnvelopeModelFile.TrainingRecord(steps: 10, trainingFiles: ["a.wav"], validationFiles: ["b.wav"],
                                                      validationCorrelation: 0.3, seconds: 1.5, command: "train x -o y")
        return EnvelopeModelFile(objective: "self-supervised", network: network, statistics: FeatureStatistics(rows: rows, width: CausalLayout.width),
                                 layout: .standard, fps: 24, training: record)
    }

    func path(_ name: String) -> String { "\(folder!)/\(name)" }

    /// The saved file as a JSON object, edited and written back.
    func edit(_ path: String, _ change: (inout [String: Any]) -> Void) throws {
        var doc = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        change(&doc)
        try JSONSerialization.data(withJSONObject: doc).write(to: URL(fileURLWithPath: path))
    }

    func editText(_ path: String, _ change: (String) -> String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let changed = change(text)
        XCTAssertNotEqual(changed, text, "the edit changed the file")
        try changed.write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// Asserts `body` throws a FileError naming `path` whose problem contains every one of `words`.
    func assertRefuses(_ path: String, _ words: [String], file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) {
        do {
            try body()
            XCTFail("\(path) was accepted; expected a refusal mentioning \(words)", file: file, line: line)
        } catch let error as FileError {
            XCTAssertEqual(error.path, path, file: file, line: line)
            XCTAssertTrue("\(error)".hasPrefix(path + ": "), "\(error)", file: file, line: line)
            for w in words { XCTAssertTrue(error.problem.contains(w), "'\(error.problem)' should mention '\(w)'", file: file, line: line) }
        } catch {
            XCTFail("expected a FileError, got \(type(of: error)): \(error)", file: file, line: line)
        }
    }

    // MARK: envelopes files

    func testEnvelopesFileRoundTrips() throws {
        let file = envelopesFile(), p = path("song.envelopes")
        try file.save(path: p)
        let loaded = try EnvelopesFile.load(path: p)
        XCTAssertEqual(loaded, file)
        XCTAssertEqual(loaded.envelopes(), file.envelopes())
        // The envelopes are those of the recorded basis (count and padding) and coefficients.
        let basis = LegendreBasis(frames: 50, count: 8, padding: 16)
        XCTAssertEqual(loaded.envelopes(), HiPPOOptimizer.envelopes(basis: basis, coefficients: file.coefficients, envelopeCount: 17))
        XCTAssertNotEqual(loaded.envelopes(), HiPPOOptimizer.envelopes(basis: LegendreBasis(frames: 50, count: 8), coefficients: file.coefficients, envelopeCount: 17))
        let doc = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: p))) as! [String: Any]
        XCTAssertEqual(doc["format"] as? String, "latentvj-envelopes")
        XCTAssertEqual(doc["version"] as? Int, 1)
    }

    func testEnvelopesFileRefusals() throws {
        let p = path("bad.envelopes")
        func fresh() throws { try envelopesFile().save(path: p) }

        assertRefuses(path("missing.envelopes"), ["no such file"]) { _ = try EnvelopesFile.load(path: path("missing.envelopes")) }

        try Data([0xFF, 0x00, 0x13, 0x37, 0x42]).write(to: URL(fileURLWithPath: p))
        assertRefuses(p, ["is not a valid envelopes file"]) { _ = try EnvelopesFile.load(path: p) }

        try fresh()
        let data = try Data(contentsOf: URL(fileURLWithPath: p))
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: p))
        assertRefuses(p, ["is not a valid envelopes file"]) { _ = try EnvelopesFile.load(path: p) }

        try fresh(); try edit(p) { $0["format"] = "latentvj-patch" }
        assertRefuses(p, ["'latentvj-patch'", "not LatentVJ envelopes"]) { _ = try EnvelopesFile.load(path: p) }

        try fresh(); try edit(p) { $0["version"] = 2 }
        assertRefuses(p, ["version 2", "reads version 1"]) { _ = try EnvelopesFile.load(path: p) }

        try fresh(); try edit(p) { $0["coefficients"] = Array(($0["coefficients"] as! [Double]).dropLast(17)) }
        assertRefuses(p, ["119 coefficients", "8 × 17"]) { _ = try EnvelopesFile.load(path: p) }

        try fresh(); try edit(p) { $0.removeValue(forKey: "frames") }
        assertRefuses(p, ["missing field 'frames'"]) { _ = try EnvelopesFile.load(path: p) }

        try fresh(); try edit(p) { $0["frames"] = "fifty" }
        assertRefuses(p, ["wrong type at 'frames'"]) { _ = try EnvelopesFile.load(path: p) }

        // A coefficient too large for a Double: refused either by the parser or by the finiteness check.
        try fresh(); try editText(p) { text in
            var doc = text
            let r = doc.range(of: "\"coefficients\" : [")!
            let start = doc[r.upperBound...].firstIndex { "-0123456789".contains($0) }!
            let end = doc[start...].firstIndex { $0 == "," || $0 == "\n" }!
            doc.replaceSubrange(start..<end, with: "1e999")
            return doc
        }
        do { _ = try EnvelopesFile.load(path: p); XCTFail("an infinite coefficient was accepted") } catch let e as FileError {
            XCTAssertEqual(e.path, p)
            XCTAssertTrue(e.problem.contains("infinite") || e.problem.contains("not a valid envelopes file"), e.problem)
        }

        try fresh(); try edit(p) { $0["fps"] = 0 }
        assertRefuses(p, ["invalid frame rate"]) { _ = try EnvelopesFile.load(path: p) }

        try fresh(); try edit(p) { var d = $0["decoder"] as! [String: Any]; d["paletteSeeds"] = [1, 2]; $0["decoder"] = d }
        assertRefuses(p, ["invalid decoder setup", "3 palette seeds"]) { _ = try EnvelopesFile.load(path: p) }

        try fresh(); try edit(p) { $0["basisCount"] = 0; $0["coefficients"] = [Double]() }
        assertRefuses(p, ["invalid basis"]) { _ = try EnvelopesFile.load(path: p) }
    }

    func testEnvelopesFileRefusesOtherFrameCountsAndRates() throws {
        let file = envelopesFile(frames: 50), p = "x.envelopes"
        XCTAssertNoThrow(try file.check(frames: 50, fps: 24, path: p))
        XCTAssertNoThrow(try file.check(frames: 51, fps: 24, path: p), "one frame of rounding is tolerated")
        XCTAssertNoThrow(try file.check(frames: 49, fps: 24, path: p))
        assertRefuses(p, ["50 frames", "'song.wav'", "30 frames"]) { try file.check(frames: 30, fps: 24, path: p) }
        assertRefuses(p, ["50 frames", "52 frames"]) { try file.check(frames: 52, fps: 24, path: p) }
        assertRefuses(p, ["24.0 fps", "30.0 fps", "--fps 24"]) { try file.check(frames: 50, fps: 30, path: p) }
    }

    // MARK: envelope network files

    func testEnvelopeModelFileRoundTrips() throws {
        let file = modelFile(), p = path("net.envelope")
        try file.save(path: p)
        let loaded = try EnvelopeModelFile.load(path: p)
        XCTAssertEqual(loaded, file)
        XCTAssertEqual(loaded.features.map(\.name), CausalLayout.columns.map(\.name))
        let network = try loaded.network(path: p)
        XCTAssertEqual(network.parameters, file.parameters)
        XCTAssertEqual(network.shape, EnvelopeNetworkShape(inputs: CausalLayout.width, hidden: 4, layers: 2, outputs: 17))
    }

    func testEnvelopeModelFileRefusals() throws {
        let p = path("bad.envelope")
        func fresh() throws { try modelFile().save(path: p) }
        func load() throws { _ = try EnvelopeModelFile.load(path: p) }

        try Data("GIF89a not json".utf8).write(to: URL(fileURLWithPath: p))
        assertRefuses(p, ["is not a valid envelope network"], load)

        try fresh()
        let data = try Data(contentsOf: URL(fileURLWithPath: p))
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: p))
        assertRefuses(p, ["is not a valid envelope network"], load)

        try fresh(); try edit(p) { $0["format"] = "latentvj-envelopes" }
        assertRefuses(p, ["'latentvj-envelopes'", "not a LatentVJ envelope network"], load)

        try fresh(); try edit(p) { $0["version"] = 7 }
        assertRefuses(p, ["version 7"], load)

        try fresh(); try edit(p) { $0["objective"] = "vibes" }
        assertRefuses(p, ["unknown objective 'vibes'"], load)

        let count = modelFile().parameters.count
        try fresh(); try edit(p) { $0["parameters"] = Array(($0["parameters"] as! [Double]).dropLast()) }
        assertRefuses(p, ["holds \(count - 1) parameters", "needs \(count)"], load)

        try fresh(); try edit(p) { $0.removeValue(forKey: "statistics") }
        assertRefuses(p, ["missing field 'statistics'"], load)

        try fresh(); try edit(p) { var s = $0["statistics"] as! [String: Any]; var std = s["std"] as! [Double]; std[3] = 0; s["std"] = std; $0["statistics"] = s }
        assertRefuses(p, ["invalid feature statistics"], load)

        // A weight too large for a Double: refused by the parser or by the finiteness check.
        try fresh(); try editText(p) { text in
            let r = text.range(of: "\"parameters\" : [")!
            let start = text[r.upperBound...].firstIndex { "-0123456789".contains($0) }!
            let end = text[start...].firstIndex { $0 == "," || $0 == "\n" }!
            var doc = text; doc.replaceSubrange(start..<end, with: "-1e999"); return doc
        }
        do { try load(); XCTFail("an infinite weight was accepted") } catch let e as FileError {
            XCTAssertEqual(e.path, p)
            XCTAssertTrue(e.problem.contains("infinite") || e.problem.contains("not a valid envelope network"), e.problem)
        }

        // A decoder layout whose envelope count differs from the network's outputs.
        try fresh(); try edit(p) { var l = $0["layout"] as! [String: Any]; l["paletteSize"] = 4; $0["layout"] = l }
        assertRefuses(p, ["writes 17 envelopes", "takes 20"], load)

        // Features edited: renamed, or one dropped.
        try fresh(); try edit(p) { var f = $0["features"] as! [[String: Any]]; f[8]["name"] = "chromagram"; $0["features"] = f }
        assertRefuses(p, ["other features", "chromagram"], load)
        try fresh(); try edit(p) { $0["features"] = Array(($0["features"] as! [[String: Any]]).dropLast()) }
        assertRefuses(p, ["other features"], load)

        try fresh(); try edit(p) { var s = $0["shape"] as! [String: Any]; s["hidden"] = 5000; $0["shape"] = s }
        assertRefuses(p, ["implausible network shape"], load)

        try fresh(); try edit(p) { $0["fps"] = -24 }
        assertRefuses(p, ["invalid frame rate"], load)
    }

    // MARK: decoder setup

    func testDecoderSetupRefusesAModelWithoutTheDrivenResolutions() throws {
        let a = GeneratorArchitecture(zDim: 16, wDim: 16, imgResolution: 16, channelBase: 64, channelMax: 16, mappingLayers: 2)
        let small = try Generator(weights: DefaultModel.make(seed: 1, architecture: a))
        XCTAssertThrowsError(try DecoderSetup().makeDecoder(generator: small, fps: 24)) { error in
            XCTAssertTrue("\(error)".contains("32"), "\(error)")
            XCTAssertTrue("\(error)".contains("px"), "\(error)")
        }
        // With the layout it can drive, the same model works; the standard layout works on a 32 px model.
        var setup = DecoderSetup()
        setup.layout = DecoderLayout(paletteSize: 3, drivenResolutions: [4, 8, 16])
        XCTAssertEqual(try setup.makeDecoder(generator: small, fps: 24).layout.envelopeCount, 15)
        let d = try DecoderSetup().makeDecoder(generator: SynthesisFixtures.generator32, fps: 24)
        XCTAssertEqual(d.noise.periodFrames, 480, "a 20 s loop at 24 fps")
        XCTAssertEqual(d.palette.seeds, DecoderSetup.paletteSeeds(1))
        // Invalid setups are refused before any model work.
        var bad = DecoderSetup(); bad.noiseLoopSeconds = .infinity
        XCTAssertThrowsError(try bad.makeDecoder(generator: SynthesisFixtures.generator32, fps: 24)) { XCTAssertTrue("\($0)".contains("noise loop"), "\($0)") }
        bad = DecoderSetup(); bad.layout = DecoderLayout(paletteSize: 3, drivenResolutions: [12])
        XCTAssertThrowsError(try bad.makeDecoder(generator: SynthesisFixtures.generator32, fps: 24)) { XCTAssertTrue("\($0)".contains("4, 8, 16, 32"), "\($0)") }
    }
}

/// A decoder driven by a whole envelope sequence: offline centring on the sequence mean, causal centring
/// as the live engine, the network's offline and causal envelopes, and the beat clock.
final class EnvelopeSequenceTests: TimeLimitedTestCase {
    let g = SynthesisFixtures.generator32
    var wDim: Int { g.architecture.wDim }
    let frames = 60

    /// Envelopes with a trend (a ramp) so a running centre lags behind the sequence mean.
    func envelopes() -> [Double] {
        let noise = SynthesisFixtures.randomMatrix(frames, 17, seed: 31, scale: 0.5)
        return (0..<(frames * 17)).map { i in
            let t = Double(i / 17), e = i % 17
            return noise[i] + (e < 9 ? (e % 3 == 0 ? 3 : -1) * t / Double(frames) : 0)
        }
    }

    func group(_ ws: [Float], _ grp: LayerGroup, decoder d: ParameterFreeDecoder) -> [Float] {
        let l = d.groups.ws(of: grp).lowerBound
        return Array(ws[(l * wDim)..<((l + 1) * wDim)])
    }

    func testOfflineResidualMotionAveragesToTheHomeLatent() {
        let env = envelopes()
        let d = SynthesisFixtures.decoder()
        let sequence = EnvelopeSequence(envelopes: env, decoder: d, beats: [], causal: false)
        XCTAssertEqual(sequence.frames, frames)
        var ws = [Float](repeating: 0, count: g.numWs * wDim)
        var sums = [[Double]](repeating: [Double](repeating: 0, count: wDim), count: 3)
        var largest = 0.0
        for k in 0..<frames {
            ws.withUnsafeMutableBufferPointer { sequence.frame(k, ws: $0.baseAddress!) }
            for grp in LayerGroup.allCases {
                let w = group(ws, grp, decoder: d)
                let home = homeLatent(grp, decoder: d)
                largest = max(largest, zip(w, home).map { Double(abs($0 - $1)) }.max()!)
                for j in 0..<wDim { sums[grp.index][j] += Double(w[j]) / Double(frames) }
            }
        }
        XCTAssertGreaterThan(largest, 0.05, "frames move away from home")
        for grp in LayerGroup.allCases {
            let home = homeLatent(grp, decoder: d)
            for j in 0..<wDim { XCTAssertEqual(sums[grp.index][j], Double(home[j]), accuracy: 1e-5, "\(grp) dimension \(j)") }
        }
        // The causal (running) centre lags the ramp: its residual motion does not average out.
        let causal = EnvelopeSequence(envelopes: env, decoder: SynthesisFixtures.decoder(), beats: [], causal: true)
        var causalSum = [Double](repeating: 0, count: wDim)
        for k in 0..<frames {
            ws.withUnsafeMutableBufferPointer { causal.frame(k, ws: $0.baseAddress!) }
            let w = group(ws, .deep, decoder: d)
            for j in 0..<wDim { causalSum[j] += Double(w[j]) / Double(frames) }
        }
        let home = homeLatent(.deep, decoder: d)
        XCTAssertGreaterThan(zip(causalSum, home).map { abs($0 - Double($1)) }.max()!, 0.1)
    }

    /// Residual mode's home: the palette mean.
    func homeLatent(_ grp: LayerGroup, decoder d: ParameterFreeDecoder) -> [Float] {
        let p = d.palette.latents[grp.index], k = d.layout.paletteSize
        return (0..<wDim).map { j in (0..<k).reduce(Float(0)) { $0 + p[$1 * wDim + j] } / Float(k) }
    }

    func testCausalSequenceIsTheLiveDecoderFrameByFrame() {
        let env = envelopes()
        let beats = (0..<frames).map { Double($0) / 12 }
        let sequenceDecoder = SynthesisFixtures.decoder()
        sequenceDecoder.gains.loopBars = 1   // the home loops with the beat, so the beats must reach the decoder
        let sequence = EnvelopeSequence(envelopes: env, decoder: sequenceDecoder, beats: beats, causal: true)
        let live = SynthesisFixtures.decoder(centre: .running(seconds: 8))
        live.gains.loopBars = 1
        let driven = g.noiseLayers.indices
        var a = [Float](repeating: 0, count: g.numWs * wDim), b = a
        for k in 0..<frames {
            a.withUnsafeMutableBufferPointer { sequence.frame(k, ws: $0.baseAddress!) }
            let noiseA = driven.map { l in Array(UnsafeBufferPointer(start: g.noiseMap(layer: l), count: g.noiseLayers[l].resolution * g.noiseLayers[l].resolution)) }
            env.withUnsafeBufferPointer { e in b.withUnsafeMutableBufferPointer { live.decode(e.baseAddress! + k * 17, time: Double(k), beat: beats[k], ws: $0.baseAddress!) } }
            let noiseB = driven.map { l in Array(UnsafeBufferPointer(start: g.noiseMap(layer: l), count: g.noiseLayers[l].resolution * g.noiseLayers[l].resolution)) }
            XCTAssertEqual(a, b, "frame \(k)")
            XCTAssertEqual(noiseA, noiseB, "noise at frame \(k)")
        }
        // And the offline sequence differs from it (another centre).
        let offline = EnvelopeSequence(envelopes: env, decoder: SynthesisFixtures.decoder(), beats: beats, causal: false)
        a.withUnsafeMutableBufferPointer { offline.frame(frames - 1, ws: $0.baseAddress!) }
        XCTAssertNotEqual(a, b)
    }

    func testCausalNetworkEnvelopesEqualTheOfflineForwardPass() {
        let shape = EnvelopeNetworkShape(inputs: 7, hidden: 6, layers: 3, outputs: 17)
        let network = EnvelopeNetwork(shape: shape, seed: 4)
        let steps = 50
        let inputs = SynthesisFixtures.randomMatrix(steps, 7, seed: 5)
        let offline = network.envelopes(inputs: inputs, frames: steps)
        let causal = network.causalEnvelopes(inputs: inputs, frames: steps)
        XCTAssertEqual(offline.count, steps * 17)
        XCTAssertEqual(causal.count, steps * 17)
        XCTAssertLessThan(zip(offline, causal).map { abs($0 - $1) }.max()!, 1e-12)
        XCTAssertGreaterThan(offline.map(abs).max()!, 0.01)
        // Causal: the first frames do not depend on later inputs.
        var changed = inputs
        for i in (30 * 7)..<changed.count { changed[i] += 1 }
        let prefix = network.causalEnvelopes(inputs: changed, frames: steps)
        XCTAssertEqual(Array(prefix.prefix(30 * 17)), Array(causal.prefix(30 * 17)))
        XCTAssertNotEqual(Array(prefix.suffix(20 * 17)), Array(causal.suffix(20 * 17)))
    }

    func testBeatsIntegrateTheTempo() {
        let steady = EnvelopeSequence.beats(tempo: Feature(name: "tempo", dims: 1, values: [Float](repeating: 120, count: 48)), frames: 48, fps: 24)
        XCTAssertEqual(steady.count, 48)
        XCTAssertEqual(steady[0], 0)
        for k in 0..<48 { XCTAssertEqual(steady[k], Double(k) / 12, accuracy: 1e-12, "120 BPM at 24 fps: 1/12 beat per frame") }
        // No tempo: 120 BPM; an unusable tempo (0, NaN) counts as 120; a changing tempo is integrated.
        XCTAssertEqual(EnvelopeSequence.beats(tempo: nil, frames: 48, fps: 24), steady)
        let values: [Float] = [60, 60, 0, .nan, 180]
        let varied = EnvelopeSequence.beats(tempo: Feature(name: "tempo", dims: 1, values: values), frames: 7, fps: 10)
        let perFrame = [1.0, 1, 2, 2, 3, 3, 3].map { $0 / 10 }   // beats per second / fps; the last value holds
        var expected = [0.0]
        for k in 0..<6 { expected.append(expected[k] + perFrame[k]) }
        for k in 0..<7 { XCTAssertEqual(varied[k], expected[k], accuracy: 1e-12, "frame \(k)") }
    }
}
