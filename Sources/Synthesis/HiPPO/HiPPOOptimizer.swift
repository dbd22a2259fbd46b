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
    let target: AudioTarget
    let geometry: DecoderGeometry

    /// Starts from the projection of uniform noise (−1…1 over the song, zero in the padding) onto the basis.
    public init(target: AudioTarget, geometry: DecoderGeometry, coefficients count: Int, seed: UInt64) {
        precondition(target.frames == geometry.frames)
        self.target = target
        self.geometry = geometry
        let t = geometry.frames, e = geometry.layout.envelopeCount
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

    /// frames × E envelopes of the current coefficients.
    public func envelopes() -> [Double] { Self.envelopes(basis: basis, coefficients: coefficients, envelopeCount: envelopeCount) }

    public static func envelopes(basis: LegendreBasis, coefficients: [Double], envelopeCount e: Int) -> [Double] {
        var out = [Double](repeating: 0, count: basis.frames * e)
        DoubleGEMM.multiply(m: basis.frames, n: e, k: basis.count, basis.values, coefficients, into: &out)
        return out
    }

    /// The loss and its gradient with respect to the coefficients.
    public func evaluate(gradient: inout [Double]) -> SelfSupervisedLoss.Result {
        let t = basis.frames, e = envelopeCount
        let env = envelopes()
        var dEnv = [Double](repeating: 0, count: t * e)
        let result = env.withUnsafeBufferPointer { ep in
            dEnv.withUnsafeMutableBufferPointer { SelfSupervisedLoss.evaluate(envelopes: ep.baseAddress!, target: target, geometry: geometry, gradient: $0.baseAddress!) }
        }
        DoubleGEMM.multiply(m: basis.count, n: e, k: t, basis.values, transposeA: true, dEnv, into: &gradient)
        return result
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
