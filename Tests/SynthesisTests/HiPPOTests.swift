import Basics
import Features
import StyleGAN
import Synthesis
import TestSupport
import XCTest

/// HiPPO (thesis 4.3): the scaled Legendre basis against its closed forms, and the optimiser's gradient,
/// descent, determinism and feature weighting.
final class HiPPOTests: TimeLimitedTestCase {
    // MARK: Legendre basis

    func testColumnsAreScaledLegendrePolynomialsOnThePaddedGrid() {
        let frames = 20, padding = 5, count = 4
        let full = LegendreBasis.padded(frames: frames, count: count, padding: padding)
        let length = frames + 2 * padding
        XCTAssertEqual(full.count, length * count)
        let closedForms: [(Double) -> Double] = [
            { _ in 1 },
            { x in x },
            { x in (3 * x * x - 1) / 2 },
            { x in (5 * x * x * x - 3 * x) / 2 },
        ]
        for t in 0..<length {
            let x = 2 * Double(t) / Double(length - 1) - 1
            for n in 0..<count {
                XCTAssertEqual(full[t * count + n], Double(2 * n + 1).squareRoot() * closedForms[n](x), accuracy: 1e-12, "t \(t), n \(n)")
            }
        }
        // The grid runs exactly from −1 to 1 over the padded length: P_n(±1) = (±1)^n.
        for n in 0..<count {
            XCTAssertEqual(full[n], Double(2 * n + 1).squareRoot() * (n % 2 == 0 ? 1 : -1), accuracy: 1e-12)
            XCTAssertEqual(full[(length - 1) * count + n], Double(2 * n + 1).squareRoot(), accuracy: 1e-12)
        }
    }

    func testHigherColumnsFollowTheRecurrenceClosedForm() {
        // P5 = (63x⁵ − 70x³ + 15x)/8, reached only through three applications of the recurrence.
        let full = LegendreBasis.padded(frames: 11, count: 6, padding: 0)
        for t in 0..<11 {
            let x = 2 * Double(t) / 10 - 1
            let p5 = (63 * pow(x, 5) - 70 * pow(x, 3) + 15 * x) / 8
            XCTAssertEqual(full[t * 6 + 5], 11.0.squareRoot() * p5, accuracy: 1e-12)
        }
    }

    func testDiscreteColumnsAreNearlyOrthonormal() {
        let frames = 400, padding = 50, count = 8
        let full = LegendreBasis.padded(frames: frames, count: count, padding: padding)
        let length = Double(frames + 2 * padding)
        let n = frames + 2 * padding
        // Gram / L: the plain discrete sum; and the trapezoid rule over the grid's spacing 2/(L−1).
        var worstOff = 0.0, worstDiagonal = 0.0, worstTrapezoid = 0.0
        for i in 0..<count {
            for j in 0..<count {
                var s = 0.0, trapezoid = 0.0
                for t in 0..<n {
                    let v = full[t * count + i] * full[t * count + j]
                    s += v
                    trapezoid += (t == 0 || t == n - 1 ? 0.5 : 1) * v
                }
                s /= length
                trapezoid /= Double(n - 1)
                if i == j { worstDiagonal = max(worstDiagonal, abs(s - 1)) } else { worstOff = max(worstOff, abs(s)) }
                worstTrapezoid = max(worstTrapezoid, abs(trapezoid - (i == j ? 1 : 0)))
            }
        }
        // The continuous scaled polynomials are orthonormal under (1/2)∫ dx. The plain sum over a 500-point grid
        // with its endpoints is within a few percent (the endpoint values, up to 2n+1, weigh 1/L each); the
        // trapezoid rule is within O(1/L²). An unscaled basis would have diagonal 1/(2n+1).
        XCTAssertLessThan(worstDiagonal, 0.05)
        XCTAssertLessThan(worstOff, 0.05)
        XCTAssertLessThan(worstTrapezoid, 2e-3)
    }

    func testCroppedBasisIsTheMiddleOfThePaddedOne() {
        let frames = 30, count = 5, padding = 7
        let basis = LegendreBasis(frames: frames, count: count, padding: padding)
        let full = LegendreBasis.padded(frames: frames, count: count, padding: padding)
        XCTAssertEqual(basis.values.count, frames * count)
        XCTAssertEqual(basis.values, Array(full[(padding * count)..<((padding + frames) * count)]))
        // The crop really is strictly inside: its first row is not x = −1.
        XCTAssertGreaterThan(basis.values[1], -3.0.squareRoot() + 1e-3)
        XCTAssertEqual(LegendreBasis(frames: frames, count: count).padding, 128, "the thesis's default padding")
    }

    // MARK: optimiser

    let frames = 40
    let layout = ColumnLayout([("a", 1), ("b", 3), ("c", 2)])

    func target(weights: [String: Double]? = nil, seed: UInt64 = 3) -> AudioTarget {
        // Smooth rows (random walks) so a few Legendre coefficients can follow them.
        var rng = SeededRandom(seed: seed)
        var rows = [Double](repeating: 0, count: frames * layout.width)
        for c in 0..<layout.width {
            var v = 0.0
            for t in 0..<frames { v += rng.normal(); rows[t * layout.width + c] = v }
        }
        return rows.withUnsafeBufferPointer { AudioTarget(rows: $0.baseAddress!, frames: frames, layout: layout, weights: weights) }
    }

    func loss(_ coefficients: [Double], basis: LegendreBasis, target: AudioTarget, geometry: DecoderGeometry) -> SelfSupervisedLoss.Result {
        let env = HiPPOOptimizer.envelopes(basis: basis, coefficients: coefficients, envelopeCount: geometry.layout.envelopeCount)
        return env.withUnsafeBufferPointer { SelfSupervisedLoss.evaluate(envelopes: $0.baseAddress!, target: target, geometry: geometry) }
    }

    func testEnvelopesAreTheBasisTimesTheCoefficients() {
        let geometry = DecoderGeometry(decoder: SynthesisFixtures.decoder(), frames: frames)
        let opt = HiPPOOptimizer(target: target(), geometry: geometry, coefficients: 6, seed: 1)
        XCTAssertEqual(opt.coefficients.count, 6 * 17)
        let env = opt.envelopes()
        XCTAssertEqual(env.count, frames * 17)
        for t in [0, 17, 39] {
            for e in [0, 8, 16] {
                let expected = (0..<6).reduce(0.0) { $0 + opt.basis.values[t * 6 + $1] * opt.coefficients[$1 * 17 + e] }
                XCTAssertEqual(env[t * 17 + e], expected, accuracy: 1e-12)
            }
        }
        XCTAssertGreaterThan(opt.coefficients.map(abs).max()!, 1e-4, "the start is not all zeros")
    }

    func testCoefficientGradientMatchesFiniteDifferences() {
        for weights in [nil, ["b": 10.0]] as [[String: Double]?] {
            let geometry = DecoderGeometry(decoder: SynthesisFixtures.decoder(), frames: frames)
            let tgt = target(weights: weights)
            let opt = HiPPOOptimizer(target: tgt, geometry: geometry, coefficients: 6, seed: 2)
            // At the near-zero start, and after a few large steps (away from the linear region).
            for stage in 0..<2 {
                if stage == 1 { opt.optimize(steps: 10, learningRate: 0.3, finalLearningRate: 0.3) }
                var analytic = [Double](repeating: .nan, count: opt.coefficients.count)
                let result = opt.evaluate(gradient: &analytic)
                XCTAssertEqual(result.loss, loss(opt.coefficients, basis: opt.basis, target: tgt, geometry: geometry).loss, accuracy: 1e-12)
                let scale = analytic.map(abs).max()!
                XCTAssertGreaterThan(scale, 1e-6, "the gradient is not trivially zero")
                // The loss sums thousands of noise pixels: its rounding (~1e-15) over h = 1e-6 would swamp the
                // smaller gradient entries; h = 1e-4 keeps the truncation error (h²) far below the check.
                let h = 1e-4
                var worst = 0.0
                var x = opt.coefficients
                for i in 0..<x.count {
                    let saved = x[i]
                    x[i] = saved + h
                    let up = loss(x, basis: opt.basis, target: tgt, geometry: geometry).loss
                    x[i] = saved - h
                    let down = loss(x, basis: opt.basis, target: tgt, geometry: geometry).loss
                    x[i] = saved
                    let numeric = (up - down) / (2 * h)
                    worst = max(worst, abs(numeric - analytic[i]) / max(1e-3 * scale, abs(numeric) + abs(analytic[i])))
                }
                XCTAssertLessThan(worst, 1e-4, "weights \(String(describing: weights)), stage \(stage)")
            }
            XCTAssertGreaterThan(opt.coefficients.map(abs).max()!, 0.5, "the second check ran far from the start")
        }
    }

    func testOptimizeRaisesTheCorrelation() {
        let geometry = DecoderGeometry(decoder: SynthesisFixtures.decoder(), frames: frames)
        let opt = HiPPOOptimizer(target: target(), geometry: geometry, coefficients: 6, seed: 4)
        var reported = [Int]()
        opt.optimize(steps: 150, learningRate: 0.05, finalLearningRate: 1e-3) { step, _ in reported.append(step) }
        XCTAssertEqual(opt.history.count, 151, "one entry per step plus the final state")
        XCTAssertEqual(reported, Array(0...150))
        let first = opt.history.first!.correlation, last = opt.history.last!.correlation
        // From a random start the correlation is already high (the noise maps give the outputs many
        // dimensions); six coefficients per envelope plateau near 0.9.
        XCTAssertGreaterThan(last, first + 0.08, "correlation \(first) → \(last)")
        XCTAssertLessThan(opt.history.last!.loss, 0.6 * opt.history.first!.loss)
        for h in opt.history { XCTAssertEqual(h.loss, 1 - h.correlation, accuracy: 1e-12) }
        // The history's last entry is the state the optimiser ends in.
        XCTAssertEqual(loss(opt.coefficients, basis: opt.basis, target: target(), geometry: geometry).correlation, last, accuracy: 1e-12)
    }

    func testOptimizationIsDeterministicPerSeed() {
        let geometry = DecoderGeometry(decoder: SynthesisFixtures.decoder(), frames: frames)
        func run(_ seed: UInt64) -> HiPPOOptimizer {
            let opt = HiPPOOptimizer(target: target(), geometry: geometry, coefficients: 6, seed: seed)
            opt.optimize(steps: 20, learningRate: 0.05)
            return opt
        }
        let a = run(7), b = run(7), c = run(8)
        XCTAssertEqual(a.coefficients, b.coefficients)
        XCTAssertEqual(a.history.map(\.loss), b.history.map(\.loss))
        XCTAssertNotEqual(a.coefficients, c.coefficients)
        XCTAssertNotEqual(HiPPOOptimizer(target: target(), geometry: geometry, coefficients: 6, seed: 7).coefficients,
                          HiPPOOptimizer(target: target(), geometry: geometry, coefficients: 6, seed: 8).coefficients, "the seed sets the start")
    }

    func testWeightingABlockRaisesThatBlocksOwnCorrelation() {
        let geometry = DecoderGeometry(decoder: SynthesisFixtures.decoder(), frames: frames)
        // Per-block correlation: a target weighted on that block only (the others weigh 0 and drop out).
        func blockCorrelation(_ block: String, _ coefficients: [Double], basis: LegendreBasis) -> Double {
            var only = [String: Double]()
            for b in layout.blocks { only[b.name] = b.name == block ? 1 : 0 }
            let t = target(weights: only)
            XCTAssertEqual(t.blocks.map(\.name), [block])
            return loss(coefficients, basis: basis, target: t, geometry: geometry).correlation
        }
        func optimise(_ weights: [String: Double]?) -> HiPPOOptimizer {
            let opt = HiPPOOptimizer(target: target(weights: weights), geometry: geometry, coefficients: 6, seed: 5)
            opt.optimize(steps: 150, learningRate: 0.05, finalLearningRate: 1e-3)
            return opt
        }
        let plain = optimise(nil)
        for (block, other) in [("a", "c"), ("b", "c"), ("c", "a")] {
            let weighted = optimise([block: 10]), otherWeighted = optimise([other: 10])
            let rWeighted = blockCorrelation(block, weighted.coefficients, basis: weighted.basis)
            let rPlain = blockCorrelation(block, plain.coefficients, basis: plain.basis)
            let rOther = blockCorrelation(block, otherWeighted.coefficients, basis: otherWeighted.basis)
            XCTAssertGreaterThan(rWeighted, rPlain + 0.05, "\(block): weighted \(rWeighted), unweighted \(rPlain)")
            XCTAssertGreaterThan(rWeighted, rOther + 0.05, "\(block): weighted \(rWeighted), \(other) weighted \(rOther)")
        }
    }
}
