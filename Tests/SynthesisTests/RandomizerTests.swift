import AllocationCounter
import Basics
import Features
import Foundation
import StyleGAN
import Synthesis
import TestSupport
import XCTest

/// The Randomizer (thesis 4.1) on a 16 px generator and 20 s of hand-made features at 12 fps and
/// 120 BPM, so one bar is exactly 24 frames and every loop period is a whole number of frames.
final class RandomizerTests: TimeLimitedTestCase {
    static let generator: Generator = {
        let a = GeneratorArchitecture(zDim: 16, wDim: 16, imgResolution: 16, channelBase: 64, channelMax: 16, mappingLayers: 2)
        return try! Generator(weights: DefaultModel.make(seed: 4, architecture: a))
    }()

    static let framesPerBar = 24
    static let rms: [Float] = (0..<240).map { Float(0.1 + 0.8 * pow(max(0, sin(2 * Double.pi * Double($0) / 60)), 3)) }

    /// Every offline feature name with its real dimensions. Chroma sits on C for the first half and on
    /// G for the second, so a two-section segmentation has one right answer.
    static let features: FeatureSet = {
        let frames = 240
        var rng = SeededRandom(seed: 77)
        func random(_ dims: Int) -> [Float] { (0..<(frames * dims)).map { _ in Float(rng.uniform()) } }
        var chroma = [Float](repeating: 0.05, count: frames * 12)
        for k in 0..<frames { chroma[k * 12 + (k < 120 ? 0 : 7)] = 1 }
        let onsets = (0..<frames).map { Float($0 % 6 == 0 ? 1 : 0.1) }
        let segments = (0..<frames).flatMap { k in Segmentation.defaultCounts.map { Float(k * $0 / frames) } }
        let list = [
            Feature(name: "onsets", dims: 1, values: onsets),
            Feature(name: "rms", dims: 1, values: rms),
            Feature(name: "drop_strength", dims: 1, values: (0..<frames).map { Float($0) / Float(frames) }),
            Feature(name: "chroma", dims: 12, values: chroma),
            Feature(name: "tonnetz", dims: 6, values: random(6)),
            Feature(name: "mfcc", dims: 20, values: random(20)),
            Feature(name: "spectral_contrast", dims: 7, values: random(7)),
            Feature(name: "spectral_flatness", dims: 1, values: random(1)),
            Feature(name: "pulse", dims: 1, values: (0..<frames).map { Float(sin(Double($0) * .pi / 6)) }),
            Feature(name: "tempo", dims: 1, values: [Float](repeating: 120, count: frames)),
            Feature(name: "segments", dims: 6, values: segments),
        ]
        var set = FeatureSet(sampleRate: 44_100, fps: 12, frames: frames, causal: false, features: list)
        set.summary["tempo"] = 120
        return set
    }()

    // MARK: Helpers

    struct Frame: Equatable {
        var ws: [Float]
        var noise: [[Float]]
    }

    func render(_ r: Randomizer, _ frames: [Int]) -> [Frame] {
        let g = Self.generator
        var ws = [Float](repeating: 0, count: g.numWs * g.architecture.wDim)
        return frames.map { k in
            ws.withUnsafeMutableBufferPointer { r.frame(k, ws: $0.baseAddress!) }
            let noise = g.noiseLayers.indices.map { i in
                Array(UnsafeBufferPointer(start: g.noiseMap(layer: i), count: g.noiseLayers[i].resolution * g.noiseLayers[i].resolution))
            }
            return Frame(ws: ws, noise: noise)
        }
    }

    func randomizer(_ patch: Patch, features: FeatureSet = RandomizerTests.features) throws -> Randomizer {
        try Randomizer(patch: patch, features: features, generator: Self.generator)
    }

    /// A hand-built patch: a constant base (one latent) unless told otherwise, and the given sub-sequences.
    func patch(latents: [LatentSubsequence] = [], noise: [NoiseSubsequence] = [], baseSeeds: [UInt64] = [11],
               background: NoiseMotion = NoiseMotion(seed: 3, sigma: 20, bars: 16)) -> Patch {
        Patch(seed: 0, base: BaseLatents(latentSeeds: baseSeeds), latents: latents, noise: noise, backgroundNoise: background)
    }

    func distance(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Float {
        zip(a, b).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot()
    }

    func maxDifference(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).map { abs($0 - $1) }.max() ?? 0 }

    func temporaryPath(_ name: String) -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("randomizer-tests-\(getpid())")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent(name).path
    }

    var allFrames: [Int] { Array(0..<Self.features.frames) }

    // MARK: Determinism and drawing

    func testSameSeedGivesSameFramesAndAnotherSeedDoesNot() throws {
        let a = try randomizer(Patch.draw(seed: 42, features: Self.features))
        let b = try randomizer(Patch.draw(seed: 42, features: Self.features))
        let c = try randomizer(Patch.draw(seed: 43, features: Self.features))
        let frames = Array(stride(from: 0, to: 240, by: 17))
        let fa = render(a, frames)
        XCTAssertEqual(fa, render(b, frames))
        let fc = render(c, frames)
        XCTAssertNotEqual(fa.map(\.ws), fc.map(\.ws))
        XCTAssertNotEqual(fa.map(\.noise), fc.map(\.noise))
    }

    func testDrawsStayInRangeWithTheThesisProportions() {
        var merges = [MergeType: Int](), depths = [DepthChoice: Int](), strategies = Set<String>()
        let names = Set(Self.features.features.map(\.name))
        for seed in 0..<400 as Range<UInt64> {
            let p = Patch.draw(seed: seed, features: Self.features)
            XCTAssertEqual(p.version, Patch.currentVersion)
            XCTAssertNil(p.problem())
            XCTAssert((3...15).contains(p.base.latentSeeds.count))
            XCTAssert((5...20).contains(p.latents.count))
            XCTAssert((5...20).contains(p.noise.count))
            for s in p.latents {
                strategies.insert("latent." + s.strategy.rawValue)
                merges[s.merge, default: 0] += 1
                depths[s.depth, default: 0] += 1
                switch s.strategy {
                case .segmentation: XCTAssert((2...16).contains(s.segments!)); XCTAssert(names.contains(s.feature!))
                case .feature: XCTAssert(names.contains(s.feature!))
                case .loop: XCTAssert([4, 8, 16, 32].contains(s.bars!))
                }
                if s.merge == .modulate { XCTAssert(["rms", "drop_strength", "onsets", "spectral_flatness"].contains(s.modulator!)) }
                XCTAssertNotEqual(s.feature, "segments")
            }
            for s in p.noise {
                strategies.insert("noise." + s.strategy.rawValue)
                merges[s.merge, default: 0] += 1
                depths[s.depth, default: 0] += 1
                if s.strategy == .loop { XCTAssert([4, 8, 16, 32].contains(s.bars!)) }
            }
        }
        XCTAssertEqual(strategies.count, 6, "every latent and noise strategy is drawn")
        let total = Double(merges.values.reduce(0, +))
        XCTAssertEqual(Double(merges[.average]!) / total, 0.25, accuracy: 0.03, "average : modulate = 1 : 3")
        let depthTotal = Double(depths.values.reduce(0, +))
        for choice in DepthChoice.allCases {
            XCTAssertEqual(Double(depths[choice] ?? 0) / depthTotal, choice.drawWeight / 14, accuracy: 0.02, "\(choice)")
        }
    }

    // MARK: Patch files

    func testSavedPatchLoadsEqualAndRendersTheSameFrames() throws {
        let original = Patch.draw(seed: 7, features: Self.features)
        let path = temporaryPath("seed7.json")
        try original.save(path: path)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssert(text.contains("\"version\" : 1"), "readable, pretty-printed JSON")
        let loaded = try Patch.load(path: path)
        XCTAssertEqual(loaded, original)
        XCTAssertEqual(render(try randomizer(loaded), allFrames), render(try randomizer(original), allFrames))
    }

    /// A VJ edits the file by hand: another loop length, another driving feature.
    func testEditingAFieldChangesTheOutput() throws {
        let p = patch(latents: [
            LatentSubsequence(strategy: .loop, depth: .all, bars: 4, latentSeeds: [1, 2, 3]),
            LatentSubsequence(strategy: .feature, depth: .deep, feature: "rms", latentSeeds: [4, 5]),
        ])
        let path = temporaryPath("edit.json")
        try p.save(path: path)
        let before = render(try randomizer(try Patch.load(path: path)), allFrames).map(\.ws)
        var text = try String(contentsOfFile: path, encoding: .utf8)

        text = text.replacingOccurrences(of: "\"bars\" : 4", with: "\"bars\" : 8")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let longerLoop = try Patch.load(path: path)
        XCTAssertEqual(longerLoop.latents[0].bars, 8)
        XCTAssertNotEqual(render(try randomizer(longerLoop), allFrames).map(\.ws), before)

        text = text.replacingOccurrences(of: "\"bars\" : 8", with: "\"bars\" : 4")
            .replacingOccurrences(of: "\"feature\" : \"rms\"", with: "\"feature\" : \"onsets\"")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let otherFeature = try Patch.load(path: path)
        XCTAssertEqual(otherFeature.latents[1].feature, "onsets")
        XCTAssertNotEqual(render(try randomizer(otherFeature), allFrames).map(\.ws), before)
    }

    func testBadPatchFilesAreRefusedNamingFileAndProblem() throws {
        let good = String(decoding: try patch(latents: [
            LatentSubsequence(strategy: .segmentation, depth: .deep, feature: "chroma", segments: 4, transitionSeconds: 0.5,
                              latentSeeds: [1, 2, 3, 4], merge: .modulate, modulator: "rms"),
            LatentSubsequence(strategy: .loop, depth: .all, bars: 8, latentSeeds: [5, 6]),
        ], noise: [NoiseSubsequence(strategy: .loop, depth: .shallow, noiseSeed: 9, sigma: 10, bars: 4)]).jsonData(), as: UTF8.self)
        let cases: [(name: String, bytes: Data, expect: String)] = [
            ("garbage", Data([0xFF, 0x00, 0x13, 0x37, 0x42]), "not a JSON patch"),
            ("truncated", Data(good.prefix(good.count / 2).utf8), "not a JSON patch"),
            ("version", Data(good.replacingOccurrences(of: "\"version\" : 1", with: "\"version\" : 99").utf8), "version 99"),
            ("unknown-feature", Data(good.replacingOccurrences(of: "\"chroma\"", with: "\"chromagram\"").utf8), "chromagram"),
            ("unknown-strategy", Data(good.replacingOccurrences(of: "\"loop\"", with: "\"spiral\"").utf8), "strategy"),
            ("negative-bars", Data(good.replacingOccurrences(of: "\"bars\" : 8", with: "\"bars\" : -8").utf8), "latents[1].bars"),
            ("absurd-k", Data(good.replacingOccurrences(of: "\"segments\" : 4", with: "\"segments\" : 1000").utf8), "latents[0].segments"),
            ("absurd-sigma", Data(good.replacingOccurrences(of: "\"sigma\" : 10", with: "\"sigma\" : 1e30").utf8), "noise[0].sigma"),
            ("negative-seed", Data(good.replacingOccurrences(of: "\"noiseSeed\" : 9", with: "\"noiseSeed\" : -9").utf8), "noise[0].noiseSeed"),
            ("missing-field", Data(good.replacingOccurrences(of: "\"merge\" : \"modulate\",", with: "").utf8), "merge"),
            ("missing-bars", Data(good.replacingOccurrences(of: "\"bars\" : 8,", with: "").utf8), "latents[1].bars"),
        ]
        for c in cases {
            let path = temporaryPath("bad-\(c.name).json")
            try c.bytes.write(to: URL(fileURLWithPath: path))
            XCTAssertThrowsError(try Patch.load(path: path), c.name) { error in
                guard let e = error as? FileError else { return XCTFail("\(c.name): \(error) is not a FileError") }
                XCTAssertEqual(e.path, path, c.name)
                XCTAssert(e.description.hasPrefix(path), "\(c.name): \(e)")
                XCTAssert(e.problem.contains(c.expect), "\(c.name): \(e.problem)")
            }
        }
        // The good text itself loads (so each failure above is the edit's doing).
        let path = temporaryPath("good.json")
        try Data(good.utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertNoThrow(try Patch.load(path: path))
        XCTAssertThrowsError(try Patch.load(path: temporaryPath("missing.json"))) { XCTAssert("\($0)".contains("missing.json")) }
    }

    func testFeatureTheSetLacksIsRefused() {
        let p = patch(latents: [LatentSubsequence(strategy: .feature, depth: .all, feature: "chroma", latentSeeds: [1, 2])])
        let onlyRMS = FeatureSet(sampleRate: 44_100, fps: 12, frames: 240, causal: false,
                                 features: [Feature(name: "rms", dims: 1, values: Self.rms)])
        XCTAssertThrowsError(try randomizer(p, features: onlyRMS)) { XCTAssert("\($0)".contains("chroma"), "\($0)") }
    }

    // MARK: What the picture does

    func testFeatureSubsequenceMovesWithRMS() throws {
        let r = try randomizer(patch(latents: [LatentSubsequence(strategy: .feature, depth: .all, feature: "rms", latentSeeds: [1, 2])]))
        let ws = render(r, allFrames).map(\.ws)
        let mean = (0..<ws[0].count).map { j in ws.map { $0[j] }.reduce(0, +) / Float(ws.count) }
        let distances = ws.map { distance($0[...], mean[...]) }
        XCTAssertGreaterThan(pearson(distances, Self.rms), 0.5)
    }

    func testLoopRepeatsEveryNBars() throws {
        let bars = 4, period = 4 * Self.framesPerBar
        let r = try randomizer(patch(latents: [LatentSubsequence(strategy: .loop, depth: .all, bars: bars, latentSeeds: [1, 2, 3])],
                                     noise: [NoiseSubsequence(strategy: .loop, depth: .all, noiseSeed: 5, sigma: 10, bars: bars)],
                                     background: NoiseMotion(seed: 3, sigma: 20, bars: bars)))
        let frames = render(r, allFrames)
        for k in 0..<(240 - period) {
            XCTAssertLessThan(maxDifference(frames[k].ws, frames[k + period].ws), 1e-4, "frame \(k)")
            for (a, b) in zip(frames[k].noise, frames[k + period].noise) { XCTAssertLessThan(maxDifference(a, b), 1e-4) }
        }
        XCTAssertGreaterThan(maxDifference(frames[0].ws, frames[period / 2].ws), 0.01, "it moves within the loop")
    }

    /// k = 2 on chroma that changes key halfway: one latent per half, a crossfade in between.
    func testSegmentationHoldsOneLatentPerSection() throws {
        let r = try randomizer(patch(latents: [
            LatentSubsequence(strategy: .segmentation, depth: .all, feature: "chroma", segments: 2, transitionSeconds: 0.5, latentSeeds: [1, 2]),
        ]))
        let ws = render(r, allFrames).map(\.ws)
        XCTAssertLessThan(maxDifference(ws[20], ws[80]), 1e-3, "same section")
        XCTAssertLessThan(maxDifference(ws[160], ws[220]), 1e-3, "same section")
        XCTAssertGreaterThan(maxDifference(ws[20], ws[220]), 0.05, "the sections differ")
    }

    func testNoiseIsLazyDeterministicAndUnitRMS() throws {
        let r = try randomizer(Patch.draw(seed: 9, features: Self.features))
        let inOrder = render(r, Array(0..<40))
        var rng = SeededRandom(seed: 1)
        let shuffled = Array(0..<40).shuffled(using: &rng)
        let outOfOrder = render(r, shuffled)
        for (i, k) in shuffled.enumerated() { XCTAssertEqual(outOfOrder[i], inOrder[k], "frame \(k)") }
        for frame in inOrder {
            for map in frame.noise {
                let rms = (map.map { $0 * $0 }.reduce(0, +) / Float(map.count)).squareRoot()
                XCTAssertEqual(rms, 1, accuracy: 0.05)
            }
        }
    }

    /// A sub-sequence on `deep` leaves the middle and shallow ws (and noise layers) as the base left them.
    func testDeepSubsequenceChangesOnlyTheDeepLayers() throws {
        let g = Self.generator, wDim = g.architecture.wDim
        let groups = LayerGroups(numWs: g.numWs, noiseResolutions: g.noiseLayers.map(\.resolution))
        let baseSeeds: [UInt64] = [11, 12, 13]
        let base = render(try randomizer(patch(baseSeeds: baseSeeds)), allFrames)
        let deep = render(try randomizer(patch(
            latents: [LatentSubsequence(strategy: .feature, depth: .deep, feature: "chroma", latentSeeds: [1, 2, 3], merge: .modulate, modulator: "rms")],
            noise: [NoiseSubsequence(strategy: .feature, depth: .deep, feature: "onsets", noiseSeed: 4)],
            baseSeeds: baseSeeds)), allFrames)
        var deepMoved: Float = 0
        for (a, b) in zip(base, deep) {
            for i in 0..<g.numWs {
                let range = (i * wDim)..<((i + 1) * wDim)
                let d = distance(a.ws[range], b.ws[range])
                if groups.ws(of: .deep).contains(i) { deepMoved = max(deepMoved, d) } else { XCTAssertEqual(d, 0, "w \(i)") }
            }
            for layer in g.noiseLayers.indices where !groups.noiseLayers(of: .deep).contains(layer) {
                XCTAssertEqual(a.noise[layer], b.noise[layer], "noise layer \(layer)")
            }
            for layer in groups.noiseLayers(of: .deep) { XCTAssertNotEqual(a.noise[layer], b.noise[layer]) }
        }
        XCTAssertGreaterThan(deepMoved, 0.01)
    }

    func testFrameDoesNotAllocate() throws {
        let r = try randomizer(Patch.draw(seed: 5, features: Self.features))
        let g = Self.generator
        let ws = UnsafeMutablePointer<Float>.allocate(capacity: g.numWs * g.architecture.wDim)
        defer { ws.deallocate() }
        r.frame(0, ws: ws)
        let frames = [1, 100, 3, 239]   // built before counting starts
        lvj_count_allocations_begin()
        for k in frames { r.frame(k, ws: ws) }
        XCTAssertEqual(lvj_count_allocations_end(), 0)
    }

    // MARK: Best of N

    func testBestOfKeepsTheHighestScore() throws {
        // Score: how many sub-sequences modulate (any deterministic function of the patch will do).
        func score(_ p: Patch) -> Double { Double(p.latents.filter { $0.merge == .modulate }.count) + Double(p.seed % 7) / 10 }
        let result = Patch.bestOf(6, seed: 100, features: Self.features, score: score)
        let expected = (100..<106).map { score(Patch.draw(seed: $0, features: Self.features)) }
        XCTAssertEqual(result.scores, expected)
        let best = expected.indices.max { expected[$0] < expected[$1] }!
        XCTAssertEqual(result.patch, Patch.draw(seed: 100 + UInt64(best), features: Self.features))

        struct Refused: Error {}
        XCTAssertThrowsError(try Patch.bestOf(3, seed: 1, features: Self.features) { _ in throw Refused() })
    }

    func pearson(_ a: [Float], _ b: [Float]) -> Double {
        let n = Double(a.count)
        let ma = a.reduce(0) { $0 + Double($1) } / n, mb = b.reduce(0) { $0 + Double($1) } / n
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for (x, y) in zip(a, b) {
            let dx = Double(x) - ma, dy = Double(y) - mb
            sab += dx * dy; saa += dx * dx; sbb += dy * dy
        }
        return sab / max((saa * sbb).squareRoot(), 1e-12)
    }
}
