import Basics
import StyleGAN
import TestSupport
import XCTest

final class DefaultModelTests: TimeLimitedTestCase {
    /// A small model of the same recipe keeps the test fast; the full default is checked for shape.
    let small = GeneratorArchitecture(zDim: 32, wDim: 32, imgResolution: 32, channelBase: 256, channelMax: 32, mappingLayers: 3)

    func testDeterministicAndLabelledUntrained() throws {
        let a = try DefaultModel.make(seed: 4, architecture: small), b = try DefaultModel.make(seed: 4, architecture: small)
        XCTAssertEqual(a.tensors, b.tensors)
        XCTAssertTrue(a.untrained)
        XCTAssertTrue(a.label.contains("untrained"))
        XCTAssertNotEqual(try DefaultModel.make(seed: 5, architecture: small).tensors["synthesis.b4.const"], a.tensors["synthesis.b4.const"])
        XCTAssertEqual(DefaultModel.architecture.imgResolution, 128)
        XCTAssertEqual(DefaultModel.architecture.channelBase, 4096)
        XCTAssertEqual(DefaultModel.architecture.channelMax, 256)
    }

    /// The untrained picture responds to latents, to noise, and truncation ψ = 0 collapses every z onto w_avg.
    func testRespondsToLatentsNoiseAndTruncation() throws {
        let g = try Generator(weights: DefaultModel.make(seed: 4, architecture: small))
        var rng = SeededRandom(seed: 1)
        let z1 = (0..<32).map { _ in Float(rng.normal()) }, z2 = (0..<32).map { _ in Float(rng.normal()) }
        let i1 = g.synthesize(ws: g.map(z: z1)), i2 = g.synthesize(ws: g.map(z: z2))
        func diff(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).map { abs($0 - $1) }.reduce(0, +) / Float(a.count) }
        XCTAssertGreaterThan(diff(i1, i2), 0.05, "different latents, different pictures")
        XCTAssertGreaterThan(diff(i1, g.synthesize(ws: g.map(z: z1), noise: .none)), 0.005, "noise is visible")
        XCTAssertEqual(g.map(z: z1, psi: 0), g.map(z: z2, psi: 0))
        XCTAssertEqual(Array(g.map(z: z1, psi: 0).prefix(32)), g.wAverageValues)
        // Cutoff: only the first two ws are truncated.
        let cut = g.map(z: z1, psi: 0, cutoff: 2), full = g.map(z: z1)
        XCTAssertEqual(Array(cut[0..<32]), g.wAverageValues)
        XCTAssertEqual(Array(cut[64..<96]), Array(full[64..<96]))
        XCTAssertTrue(i1.allSatisfy(\.isFinite))
    }

    /// Every architecture from 4 to 256 px runs and gives an image of the right size, with and without clamp.
    func testAnyResolution() throws {
        for r in [4, 8, 16, 64, 256] {
            for clamp in [Float(256), nil] {
                let a = GeneratorArchitecture(zDim: 8, wDim: 8, imgResolution: r, channelBase: 2048, channelMax: 8, mappingLayers: 1, convClamp: clamp)
                let g = try Generator(weights: DefaultModel.make(seed: 1, architecture: a))
                let img = g.synthesize(ws: g.map(z: [Float](repeating: 0.3, count: 8)))
                XCTAssertEqual(img.count, 3 * r * r)
                XCTAssertTrue(img.allSatisfy(\.isFinite), "\(r) px")
            }
        }
    }
}
