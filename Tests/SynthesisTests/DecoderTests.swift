import Basics
import Correlation
import Features
import StyleGAN
import Synthesis
import AllocationCounter
import TestSupport
import XCTest

/// The parameter-free decoder: group split, softmax mixing, residual centring, noise envelopes, gains.
final class DecoderTests: TimeLimitedTestCase {
    let g = SynthesisFixtures.generator32

    func testLayerGroupsSplitAnyNumberOfWs() {
        for numWs in 8...18 {
            let groups = LayerGroups(numWs: numWs, noiseResolutions: [4, 8, 8, 16, 16])
            XCTAssertEqual(groups.ws.map(\.count).reduce(0, +), numWs)
            XCTAssertEqual(groups.ws[0].count, numWs / 3)
            XCTAssertEqual(groups.ws[2].count, numWs - 2 * (numWs / 3), "the remainder goes to shallow")
            XCTAssertEqual(groups.ws[0].lowerBound, 0); XCTAssertEqual(groups.ws[2].upperBound, numWs)
        }
        let groups = LayerGroups(numWs: 12, noiseResolutions: [4, 8, 8, 16, 16, 32, 32, 64, 64, 128, 128])
        XCTAssertEqual(groups.noiseLayers, [[0, 1, 2], [3, 4, 5, 6], [7, 8, 9, 10]])
    }

    func testLoopNoiseIsUnitRMSPeriodicSmoothAndDeterministic() {
        let a = LoopNoise(pixels: 256, seed: 3, sigma: 10), b = LoopNoise(pixels: 256, seed: 3, sigma: 10)
        var x = [Float](repeating: 0, count: 256), y = x, z = x
        a.fill(phase: 0.3, into: &x); b.fill(phase: 1.3, into: &y)
        XCTAssertEqual(x, y, "periodic and deterministic")
        XCTAssertEqual((x.map { $0 * $0 }.reduce(0, +) / 256).squareRoot(), 1, accuracy: 1e-4)
        a.fill(phase: 0.301, into: &z)
        let near = zip(x, z).map { abs($0 - $1) }.max()!
        a.fill(phase: 0.6, into: &z)
        let far = zip(x, z).map { abs($0 - $1) }.max()!
        XCTAssertLessThan(near, 0.2 * far, "a small step in phase moves the noise a little")
    }

    func testNonResidualOutputIsTheSoftmaxMixOfThePalette() {
        let d = SynthesisFixtures.decoder()
        d.gains.residual = false
        let e = [2.0, 0, -1, 0, 0, 0, 5, 5, 5] + [Double](repeating: 0, count: 8)
        let w = decode(d, e)
        let wDim = g.architecture.wDim
        let s = [exp(2.0), exp(0.0), exp(-1.0)].map { $0 / (exp(2.0) + 1 + exp(-1.0)) }
        for j in 0..<wDim {
            let expected = (0..<3).reduce(0.0) { $0 + s[$1] * Double(d.palette.latents[0][$1 * wDim + j]) }
            XCTAssertEqual(Double(w[j]), expected, accuracy: 1e-4)
        }
        // Middle group: equal weights → the palette mean; every layer of a group gets the same w.
        let middle = d.groups.ws(of: .middle)
        for l in middle { XCTAssertEqual(Array(w[(l * wDim)..<((l + 1) * wDim)]), Array(w[(middle.lowerBound * wDim)..<((middle.lowerBound + 1) * wDim)])) }
    }

    func testResidualModeCentresMotionOnTheHomeLatent() {
        let d = SynthesisFixtures.decoder(centre: .fixed([1.0 / 3, 1.0 / 3, 1.0 / 3, 1, 0, 0, 0, 1, 0]))
        let e = [Double](repeating: 0, count: 17)          // weights = 1/3 each
        let w = decode(d, e)
        let wDim = g.architecture.wDim
        // Deep: weights equal the centre → exactly the home (palette mean).
        for j in 0..<wDim {
            let mean = (0..<3).reduce(Float(0)) { $0 + d.palette.latents[0][$1 * wDim + j] } / 3
            XCTAssertEqual(w[j], mean, accuracy: 1e-5)
        }
        // Amplitude 0 freezes a group at home whatever the envelopes.
        d.gains.amplitude = [0, 1, 1]
        let moved = decode(d, [9, -9, 0] + [Double](repeating: 0, count: 14))
        XCTAssertEqual(Array(moved[0..<wDim]), Array(w[0..<wDim]))
    }

    func testTruncationPullsTowardsTheAverageLatent() {
        let d = SynthesisFixtures.decoder()
        d.gains.residual = false
        let e = [1.0, 0, 0, 1, 0, 0, 1, 0, 0] + [Double](repeating: 0, count: 8)
        let full = decode(d, e)
        d.reset(); d.gains.psi = 0
        let truncated = decode(d, e)
        let avg = g.wAverageValues
        for j in 0..<g.architecture.wDim { XCTAssertEqual(truncated[j], avg[j], accuracy: 1e-5) }
        XCTAssertNotEqual(full[0], truncated[0])
    }

    func testNoiseEnvelopesSetMeanAndStandardDeviation() {
        let d = SynthesisFixtures.decoder()
        var e = [Double](repeating: 0, count: 17)
        let (me, se) = d.layout.noiseEnvelopes(1)   // 8 px
        e[me] = atanh(0.5); e[se] = -log(2 / 0.25 - 1)   // mean 0.5, sigma 0.25
        _ = decode(d, e)
        let layer = g.noiseLayers.firstIndex { $0.resolution == 8 }!
        let map = Array(UnsafeBufferPointer(start: g.noiseMap(layer: layer), count: 64))
        let mean = map.reduce(0, +) / 64
        let eps = map.map { ($0 - 0.5) / 0.25 }
        XCTAssertEqual((eps.map { $0 * $0 }.reduce(0, +) / 64).squareRoot(), 1, accuracy: 1e-3, "ε has unit RMS")
        XCTAssertEqual(mean, 0.5, accuracy: 0.1)
        // Undriven (64 px and up would be; a 32 px model drives all): per-scale sigma scales the map.
        d.gains.noiseSigma = [1, 0, 1, 1]
        _ = decode(d, e)
        XCTAssertEqual(UnsafeBufferPointer(start: g.noiseMap(layer: layer), count: 64).map(abs).max(), 0)
    }

    func testSmoothingLagsAStep() {
        let off = [Double](repeating: 0, count: 17), on = [6.0, -6, -6] + [Double](repeating: 0, count: 14)
        func firstMove(smoothing: Double) -> (first: Float, settled: Float) {
            let d = SynthesisFixtures.decoder()
            d.gains.residual = false; d.gains.smoothing = smoothing
            let start = decode(d, off), first = decode(d, on)
            var last = first
            for _ in 0..<300 { last = decode(d, on) }
            return (abs(first[0] - start[0]), abs(last[0] - start[0]))
        }
        let sharp = firstMove(smoothing: 0), smooth = firstMove(smoothing: 0.5)
        XCTAssertEqual(sharp.first, sharp.settled, accuracy: 1e-6, "without smoothing the step lands at once")
        XCTAssertEqual(smooth.settled, sharp.settled, accuracy: 1e-3 * sharp.settled, "and with it, eventually")
        XCTAssertLessThan(smooth.first, 0.5 * sharp.first, "one frame of a 0.5 s smoothing covers part of the step")
    }

    func testDecoderRefusesAModelWithoutTheDrivenResolutions() {
        let a = GeneratorArchitecture(zDim: 16, wDim: 16, imgResolution: 16, channelBase: 64, channelMax: 16, mappingLayers: 2)
        let small = try! Generator(weights: DefaultModel.make(seed: 1, architecture: a))
        let palette = Palette(generator: small, size: 3, seed: 1)
        let noise = NoiseBank(resolutions: small.noiseLayers.map(\.resolution), seed: 1, periodFrames: 96)
        XCTAssertThrowsError(try ParameterFreeDecoder(generator: small, palette: palette, noise: noise, fps: 24)) {
            XCTAssertTrue("\($0)".contains("32"), "\($0)")
        }
    }

    /// The same layout on a 32 px model rendered at 16 px: the 32 px envelopes drive nothing while it
    /// renders smaller, which is no mismatch.
    func testDecoderTakesAModelRenderedSmallerThanItsDrivenResolutions() throws {
        let a = GeneratorArchitecture(zDim: 16, wDim: 16, imgResolution: 32, channelBase: 64, channelMax: 16, mappingLayers: 2)
        let small = try Generator(weights: DefaultModel.make(seed: 1, architecture: a).rendered(at: 16))
        let palette = Palette(generator: small, size: 3, seed: 1)
        let noise = NoiseBank(resolutions: small.noiseLayers.map(\.resolution), seed: 1, periodFrames: 96)
        let d = try ParameterFreeDecoder(generator: small, palette: palette, noise: noise, fps: 24)
        XCTAssertEqual(d.numWs, 6)
    }

    /// `--adapt`'s first economy: the noise layers after `drivenNoiseLayers` keep their first map; the
    /// others move with musical time.
    func testStilledNoiseLayersKeepTheirFirstMap() {
        let d = SynthesisFixtures.decoder()
        let n = g.noiseLayers.count
        d.drivenNoiseLayers = n - 2
        var ws = [Float](repeating: 0, count: g.numWs * g.architecture.wDim)
        let e = [Double](repeating: 0.3, count: 17)
        func maps() -> [[Float]] { (0..<n).map { i in Array(UnsafeBufferPointer(start: g.noiseMap(layer: i), count: g.noiseLayers[i].resolution * g.noiseLayers[i].resolution)) } }
        e.withUnsafeBufferPointer { d.decode($0.baseAddress!, time: 0, ws: &ws) }
        let first = maps()
        e.withUnsafeBufferPointer { d.decode($0.baseAddress!, time: 7, ws: &ws) }
        let later = maps()
        for i in 0..<(n - 2) { XCTAssertNotEqual(first[i], later[i], "layer \(i) is driven") }
        for i in (n - 2)..<n { XCTAssertEqual(first[i], later[i], "layer \(i) stands still") }
    }

    func testDecodeAllocatesNothing() {
        let d = SynthesisFixtures.decoder()
        d.gains.loopBars = 4
        var ws = [Float](repeating: 0, count: g.numWs * g.architecture.wDim)
        let e = SynthesisFixtures.randomMatrix(1, 17, seed: 2)
        e.withUnsafeBufferPointer { ep in
            ws.withUnsafeMutableBufferPointer { wp in
                d.decode(ep.baseAddress!, time: 0, ws: wp.baseAddress!)
                lvj_count_allocations_begin()
                for k in 1..<200 { d.decode(ep.baseAddress!, time: Double(k), beat: Double(k) / 12, ws: wp.baseAddress!) }
                XCTAssertEqual(lvj_count_allocations_end(), 0)
            }
        }
    }

    func decode(_ d: ParameterFreeDecoder, _ e: [Double], frame: Int = 0) -> [Float] {
        var ws = [Float](repeating: 0, count: g.numWs * g.architecture.wDim)
        e.withUnsafeBufferPointer { ep in ws.withUnsafeMutableBufferPointer { d.decode(ep.baseAddress!, time: Double(frame), ws: $0.baseAddress!) } }
        return ws
    }
}
