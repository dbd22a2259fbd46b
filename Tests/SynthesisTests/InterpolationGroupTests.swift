import Basics
import Features
import StyleGAN
import Synthesis
import TestSupport
import XCTest

/// The interpolation groups on a small generator and hand-made features whose answer is known.
final class InterpolationGroupTests: TimeLimitedTestCase {
    static let generator: Generator = {
        let a = GeneratorArchitecture(zDim: 16, wDim: 16, imgResolution: 16, channelBase: 64, channelMax: 16, mappingLayers: 2)
        return try! Generator(weights: DefaultModel.make(seed: 3, architecture: a))
    }()

    /// 40 frames: onsets 0 then 1 alternating in blocks of 10; chroma all on C for 20 frames, then all on G.
    static let features: FeatureSet = {
        let frames = 40
        let onsets = (0..<frames).map { Float(($0 / 10) % 2) }
        var chroma = [Float](repeating: 0, count: frames * 12)
        for k in 0..<frames { chroma[k * 12 + (k < 20 ? 0 : 7)] = 1 }
        return FeatureSet(sampleRate: 44_100, fps: 10, frames: frames, causal: false,
                          features: [Feature(name: "onsets", dims: 1, values: onsets), Feature(name: "chroma", dims: 12, values: chroma)])
    }()

    func ws(_ group: InterpolationGroup, seed: UInt64 = 1) -> [[Float]] {
        let g = Self.generator
        let sequence = InterpolationSequence(group: group, features: Self.features, generator: g, seed: seed)
        var out = [[Float]]()
        var buffer = [Float](repeating: 0, count: g.numWs * g.architecture.wDim)
        for k in 0..<Self.features.frames {
            buffer.withUnsafeMutableBufferPointer { sequence.frame(k, ws: $0.baseAddress!) }
            out.append(buffer)
        }
        return out
    }

    func distance(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot() }

    func testOnsetsBounceBetweenTwoLatents() {
        let w = ws(.onsets)
        XCTAssertEqual(distance(w[0], w[5]), 0, accuracy: 1e-5, "no onset: the same latent")
        XCTAssertEqual(distance(w[10], w[15]), 0, accuracy: 1e-5, "full onset: the other latent")
        XCTAssertGreaterThan(distance(w[0], w[10]), 0.1)
        XCTAssertEqual(distance(w[0], w[20]), 0, accuracy: 1e-5, "back to the first")
    }

    func testChromaFollowsHarmony() {
        let w = ws(.chroma)
        XCTAssertEqual(distance(w[0], w[19]), 0, accuracy: 1e-5, "same chroma, same latent")
        XCTAssertGreaterThan(distance(w[19], w[20]), 0.1, "the chord change moves the latent")
    }

    /// `none` jumps every frame; `random` moves smoothly: neighbouring frames are much closer.
    func testRandomIsSmootherThanNone() {
        let none = ws(.none), random = ws(.random)
        let stepNone = (1..<40).map { distance(none[$0], none[$0 - 1]) }.reduce(0, +)
        let stepRandom = (1..<40).map { distance(random[$0], random[$0 - 1]) }.reduce(0, +)
        XCTAssertLessThan(stepRandom, 0.5 * stepNone)
    }

    func testNoiseMapsFollowTheGroup() {
        let g = Self.generator
        let sequence = InterpolationSequence(group: .onsets, features: Self.features, generator: g, seed: 2)
        var buffer = [Float](repeating: 0, count: g.numWs * g.architecture.wDim)
        func noiseStd(_ k: Int) -> Float {
            buffer.withUnsafeMutableBufferPointer { sequence.frame(k, ws: $0.baseAddress!) }
            let n = g.noiseLayers[0].resolution * g.noiseLayers[0].resolution
            let map = UnsafeBufferPointer(start: g.noiseMap(layer: 0), count: n)
            return (map.map { $0 * $0 }.reduce(0, +) / Float(n)).squareRoot()
        }
        // Onset 1 scales noise by 1.5, onset 0 by 0.5 (the smoothed maps themselves have unit variance).
        XCTAssertGreaterThan(noiseStd(15), 2 * noiseStd(5))
    }

    func testSameSeedSameSequence() {
        XCTAssertEqual(ws(.onsetsChroma, seed: 9), ws(.onsetsChroma, seed: 9))
        XCTAssertNotEqual(ws(.onsetsChroma, seed: 9), ws(.onsetsChroma, seed: 10))
    }
}
