import Basics
import Correlation
import Features
import StyleGAN
import Synthesis
import TestSupport
import XCTest

/// The self-supervised loss: its value against the metric computed on the decoder's real, materialised
/// outputs, and its gradient against finite differences.
final class SelfSupervisedLossTests: TimeLimitedTestCase {
    let g = SynthesisFixtures.generator32
    let frames = 24
    let layout = ColumnLayout([("a", 1), ("b", 3), ("c", 2)])

    func target(weights: [String: Double]? = nil, seed: UInt64 = 1) -> AudioTarget {
        let rows = SynthesisFixtures.randomMatrix(frames, layout.width, seed: seed)
        return rows.withUnsafeBufferPointer { AudioTarget(rows: $0.baseAddress!, frames: frames, layout: layout, weights: weights) }
    }

    /// The decoder run frame by frame (non-residual, neutral gains) with every w and driven noise pixel
    /// side by side: the matrix the loss stands for.
    func materialise(_ envelopes: [Double], decoder d: ParameterFreeDecoder) -> FeatureMatrix {
        d.gains.residual = false
        d.centre = .fixed([Double](repeating: 1.0 / 3, count: 9))
        let wCount = g.numWs * g.architecture.wDim
        let driven = g.noiseLayers.indices.filter { d.layout.drivenResolutions.contains(g.noiseLayers[$0].resolution) }
        let pixels = driven.reduce(0) { $0 + g.noiseLayers[$1].resolution * g.noiseLayers[$1].resolution }
        var values = [Double]()
        var ws = [Float](repeating: 0, count: wCount)
        for t in 0..<frames {
            envelopes.withUnsafeBufferPointer { e in
                ws.withUnsafeMutableBufferPointer { d.decode(e.baseAddress! + t * 17, time: Double(t), ws: $0.baseAddress!) }
            }
            values += ws.map(Double.init)
            for l in driven {
                let r = g.noiseLayers[l].resolution
                values += UnsafeBufferPointer(start: g.noiseMap(layer: l), count: r * r).map(Double.init)
            }
        }
        return FeatureMatrix(rows: frames, cols: wCount + pixels, values: values)
    }

    func testLossEqualsTheMetricOnTheDecodersRealOutputs() throws {
        // A loop longer than the sequence, and one that repeats within it (the phase-folded path).
        for period in [96.0, 10] {
        let d = SynthesisFixtures.decoder(periodFrames: period)
        let geometry = DecoderGeometry(decoder: d, frames: frames)
        XCTAssertEqual(geometry.phases, period == 10 ? 10 : frames)
        let envelopes = SynthesisFixtures.randomMatrix(frames, 17, seed: 4)
        let tgt = target()
        let result = envelopes.withUnsafeBufferPointer { SelfSupervisedLoss.evaluate(envelopes: $0.baseAddress!, target: tgt, geometry: geometry) }
        let audio = tgt.concatenated()
        let reference = try MatrixCorrelation.procrustes.compute(FeatureMatrix(rows: frames, cols: audio.dims, values: audio.values),
                                                                 materialise(envelopes, decoder: d))
        XCTAssertEqual(result.correlation, reference, accuracy: 1e-6)
        XCTAssertEqual(result.loss, 1 - reference, accuracy: 1e-6)
        XCTAssertGreaterThan(reference, 0.05)
        }
    }

    func testWeightedLossIsTheWeightedMeanOfPerBlockCorrelations() throws {
        let d = SynthesisFixtures.decoder()
        let geometry = DecoderGeometry(decoder: d, frames: frames)
        let envelopes = SynthesisFixtures.randomMatrix(frames, 17, seed: 5)
        let tgt = target(weights: ["b": 10])
        let result = envelopes.withUnsafeBufferPointer { SelfSupervisedLoss.evaluate(envelopes: $0.baseAddress!, target: tgt, geometry: geometry) }
        let video = materialise(envelopes, decoder: d)
        var expected = 0.0
        for block in tgt.blocks {
            let r = try MatrixCorrelation.procrustes.compute(FeatureMatrix(rows: frames, cols: block.dims, values: block.values), video)
            expected += block.weight * r / 12
        }
        XCTAssertEqual(result.correlation, expected, accuracy: 1e-6)
    }

    func testGradientMatchesFiniteDifferences() {
        for (weights, period) in [(nil, 96.0), (["a": 10.0], 96), (nil, 7)] as [([String: Double]?, Double)] {
            let d = SynthesisFixtures.decoder(periodFrames: period)
            let geometry = DecoderGeometry(decoder: d, frames: frames)
            let tgt = target(weights: weights, seed: 9)
            var envelopes = SynthesisFixtures.randomMatrix(frames, 17, seed: 6)
            var analytic = [Double](repeating: 0, count: envelopes.count)
            _ = envelopes.withUnsafeBufferPointer { e in
                analytic.withUnsafeMutableBufferPointer { SelfSupervisedLoss.evaluate(envelopes: e.baseAddress!, target: tgt, geometry: geometry, gradient: $0.baseAddress!) }
            }
            let h = 1e-6
            var worst = 0.0
            let scale = analytic.map(abs).max()!
            for i in 0..<envelopes.count {
                let x = envelopes[i]
                envelopes[i] = x + h
                let up = envelopes.withUnsafeBufferPointer { SelfSupervisedLoss.evaluate(envelopes: $0.baseAddress!, target: tgt, geometry: geometry).loss }
                envelopes[i] = x - h
                let down = envelopes.withUnsafeBufferPointer { SelfSupervisedLoss.evaluate(envelopes: $0.baseAddress!, target: tgt, geometry: geometry).loss }
                envelopes[i] = x
                let numeric = (up - down) / (2 * h)
                // Relative error, with entries far below the largest compared on the largest's scale.
                worst = max(worst, abs(numeric - analytic[i]) / max(1e-3 * scale, abs(numeric) + abs(analytic[i])))
            }
            XCTAssertLessThan(worst, 1e-4, "weights \(String(describing: weights))")
            XCTAssertGreaterThan(analytic.map(abs).max()!, 1e-6, "the gradient is not trivially zero")
        }
    }

    func testDescendingTheGradientRaisesTheCorrelation() {
        let d = SynthesisFixtures.decoder()
        let geometry = DecoderGeometry(decoder: d, frames: frames)
        let tgt = target(seed: 12)
        var envelopes = SynthesisFixtures.randomMatrix(frames, 17, seed: 13, scale: 0.1)
        var gradient = [Double](repeating: 0, count: envelopes.count)
        func step() -> Double {
            let r = envelopes.withUnsafeBufferPointer { e in
                gradient.withUnsafeMutableBufferPointer { SelfSupervisedLoss.evaluate(envelopes: e.baseAddress!, target: tgt, geometry: geometry, gradient: $0.baseAddress!) }
            }
            for i in envelopes.indices { envelopes[i] -= 0.5 * gradient[i] }
            return r.correlation
        }
        let first = step()
        var last = first
        for _ in 0..<100 { last = step() }
        XCTAssertGreaterThan(last, first + 0.1)
    }
}
