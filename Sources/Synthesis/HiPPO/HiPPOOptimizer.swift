import Basics
import Foundation
import LinearAlgebra

/// HiPPO (thesis 4.3): one song's envelopes optimised directly for the self-supervised loss, as sums of
/// scaled Legendre polynomials. The coefficients are the only parameters; few of them make smooth
/// envelopes (the inductive bias the thesis wanted), more allow quicker changes.
public final class HiPPOOptimizer {
    public let basis: LegendreBasis
    public let envelopeCount: Int
    /// count × E, row-major: envelope e at frame t is Σ_n basis[t, n] · coefficients[n, e].
    public private(set) var coefficients: [Double]
    public private(set) var history: [(step: Int, loss: Double, correlation: Double)] = []
    /// The loss is the mean over these parts of the song (the whole song, or overlapping windows).
    public struct Part {
        public let start: Int
        public let target: AudioTarget
        public let geometry: DecoderGeometry
        public init(start: Int, target: AudioTarget, geometry: DecoderGeometry) {
            precondition(target.frames == geometry.frames)
            self.start = start; self.target = target; self.geometry = geometry
        }
    }
    let parts: [Part]

    /// The loss on the whole song at once (the thesis's HiPPO).
    public convenience init(target: AudioTarget, geometry: DecoderGeometry, coefficients count: Int, seed: UInt64) {
        self.init(frames: geometry.frames, parts: [Part(start: 0, target: target, geometry: geometry)],
                  layout: geometry.layout, coefficients: count, seed: seed)
    }

    /// Starts from the projection of uniform noise (−1…1 over the song, zero in the padding) onto the basis.
    public init(frames t: Int, parts: [Part], layout: DecoderLayout, coefficients count: Int, seed: UInt64) {
        precondition(!parts.isEmpty && parts.allSatisfy { $0.start >= 0 && $0.start + $0.target.frames <= t })
        self.parts = parts
        let e = layout.envelopeCount
        basis = LegendreBasis(frames: t, count: count)
        envelopeCount = e
        let full = LegendreBasis.padded(frames: t, count: count, padding: basis.padding)
        let length = t + 2 * basis.padding
        var rng = SeededRandom(seed: seed)
        var noise = [Double](repeating: 0, count: length * e)
        for i in basis.padding..<(basis.padding + t) { for j in 0..<e { noise[i * e + j] = 2 * rng.uniform() - 1 } }
        var c = [Double](repeating: 0, count: count * e)
        DoubleGEMM.multiply(m: count, n: e, k: length, full, transposeA: true, noise, into: &c, alpha: 1 / Double(length))
        coefficients = c
    }

    /// Starts instead from given envelopes (frames × E), projected on the basis by least squares: HiPPO
    /// then refines a known-good motion (e.g. the envelope network's) for this one song.
    public func start(from envelopes: [Double]) throws {
        let t = basis.frames, n = basis.count, e = envelopeCount
        precondition(envelopes.count == t * e)
        // c = (BᵀB)⁻¹ Bᵀ E, with the small n × n system solved through its eigen-decomposition.
        var gram = [Double](repeating: 0, count: n * n), rhs = [Double](repeating: 0, count: n * e)
        DoubleGEMM.multiply(m: n, n: n, k: t, basis.values, transposeA: true, basis.values, into: &gram)
        DoubleGEMM.multiply(m: n, n: e, k: t, basis.values, transposeA: true, envelopes, into: &rhs)
        let eig = try SymmetricEigen.decompose(gram, n: n)
        let top = eig.values.last ?? 1
        var inverse = [Double](repeating: 0, count: n * n)
        for (j, l) in eig.values.enumerated() where l > top * 1e-10 {
            for a in 0..<n { for b in 0..<n { inverse[a * n + b] += eig.vectors[a * n + j] * eig.vectors[b * n + j] / l } }
        }
        var c = [Double](repeating: 0, count: n * e)
        DoubleGEMM.multiply(m: n, n: e, k: n, inverse, rhs, into: &c)
        coefficients = c
    }

    /// frames × E envelopes of the current coefficients.
    public func envelopes() -> [Double] { Self.envelopes(basis: basis, coefficients: coefficients, envelopeCount: envelopeCount) }

    public static func envelopes(basis: LegendreBasis, coefficients: [Double], envelopeCount e: Int) -> [Double] {
        var out = [Double](repeating: 0, count: basis.frames * e)
        DoubleGEMM.multiply(m: basis.frames, n: e, k: basis.count, basis.values, coefficients, into: &out)
        return out
    }

    /// The loss (mean over the parts) and its gradient with respect to the coefficients.
    public func evaluate(gradient: inout [Double]) -> SelfSupervisedLoss.Result {
        let t = basis.frames, e = envelopeCount
        let env = envelopes()
        var dEnv = [Double](repeating: 0, count: t * e)
        var results = [SelfSupervisedLoss.Result](repeating: .init(loss: 0, correlation: 0), count: parts.count)
        var partGradients = parts.map { [Double](repeating: 0, count: $0.target.frames * e) }
        // Parts are independent: spread them over the cores.
        env.withUnsafeBufferPointer { ep in
            results.withUnsafeMutableBufferPointer { rp in
                partGradients.withUnsafeMutableBufferPointer { gp in
                    let envBase = ep.baseAddress!, resultBase = rp.baseAddress!, gradBase = gp.baseAddress!
                    DispatchQueue.concurrentPerform(iterations: parts.count) { i in
                        let part = parts[i]
                        resultBase[i] = gradBase[i].withUnsafeMutableBufferPointer {
                            SelfSupervisedLoss.evaluate(envelopes: envBase + part.start * e, target: part.target, geometry: part.geometry,
                                                        gradient: $0.baseAddress!)
                        }
                    }
                }
            }
        }
        let share = 1 / Double(parts.count)
        for (part, g) in zip(parts, partGradients) {
            for i in 0..<g.count { dEnv[part.start * e + i] += share * g[i] }
        }
        DoubleGEMM.multiply(m: basis.count, n: e, k: t, basis.values, transposeA: true, dEnv, into: &gradient)
        let loss = results.reduce(0) { $0 + $1.loss } * share
        return SelfSupervisedLoss.Result(loss: loss, correlation: results.reduce(0) { $0 + $1.correlation } * share)
    }

    /// Adam with cosine decay from `learningRate` to `finalLearningRate` (the thesis: 1e-3 to 1e-5).
    public func optimize(steps: Int, learningRate: Double = 1e-3, finalLearningRate: Double = 1e-5,
                         progress: ((Int, SelfSupervisedLoss.Result) -> Void)? = nil) {
        var adam = Adam(parameterCount: coefficients.count)
        var gradient = [Double](repeating: 0, count: coefficients.count)
        for step in 0..<steps {
            let result = evaluate(gradient: &gradient)
            history.append((step, result.loss, result.correlation))
            progress?(step, result)
            let lr = LearningRateSchedule.cosine(step: step, total: steps, start: learningRate, end: finalLearningRate)
            adam.update(&coefficients, gradient: gradient, learningRate: lr)
        }
        var unused = gradient
        let final = evaluate(gradient: &unused)
        history.append((steps, final.loss, final.correlation))
        progress?(steps, final)
    }
}
