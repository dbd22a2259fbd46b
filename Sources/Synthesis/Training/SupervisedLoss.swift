import Foundation
import LinearAlgebra

/// What a supervised sequence should look like in the decoder's output space (thesis 4.2.2, with the
/// thesis's own suggestion for where targets come from: curated Randomizer patches). Latents are
/// compared as residuals (centred over time, thesis Table 5.2), through the decoder's palette; noise is
/// compared by its per-frame mean and standard deviation, since a map's individual pixels are arbitrary.
public struct SupervisedTarget {
    public let frames: Int
    /// Per group: Z = C Y Pᵀ (frames × K) and ‖C Y‖², with Y the target latents and P the palette.
    public let projected: [[Double]]
    public let energy: [Double]
    /// Per driven resolution: target mean and standard deviation per frame (frames each).
    public let noiseMean: [[Double]], noiseSigma: [[Double]]

    /// - Parameters:
    ///   - latents: per group, frames × wDim target latents.
    ///   - palette: per group, K × wDim decoder palette.
    public init(latents: [[Float]], palette: [[Float]], wDim: Int, noiseMean: [[Double]], noiseSigma: [[Double]]) {
        let t = latents[0].count / wDim
        frames = t
        var projected = [[Double]](), energy = [Double]()
        for g in 0..<3 {
            let k = palette[g].count / wDim
            var mean = [Double](repeating: 0, count: wDim)
            for i in 0..<t { for j in 0..<wDim { mean[j] += Double(latents[g][i * wDim + j]) / Double(t) } }
            var centred = [Double](repeating: 0, count: t * wDim)
            var e = 0.0
            for i in 0..<t { for j in 0..<wDim { let v = Double(latents[g][i * wDim + j]) - mean[j]; centred[i * wDim + j] = v; e += v * v } }
            let p = palette[g].map(Double.init)
            var z = [Double](repeating: 0, count: t * k)
            DoubleGEMM.multiply(m: t, n: k, k: wDim, centred, p, transposeB: true, into: &z)
            projected.append(z); energy.append(e)
        }
        self.projected = projected
        self.energy = energy
        self.noiseMean = noiseMean
        self.noiseSigma = noiseSigma
    }
}

/// Mean squared error between the decoder's outputs and a supervised target, with its gradient.
public enum SupervisedLoss {
    /// - Parameters:
    ///   - geometry: supplies the palette Grams and group sizes (the noise Grams are not needed).
    public static func evaluate(envelopes: UnsafePointer<Double>, target: SupervisedTarget, geometry geo: DecoderGeometry,
                                wDim: Int, gradient: UnsafeMutablePointer<Double>?) -> Double {
        let t = geo.frames, layout = geo.layout, p = layout.paletteSize, e = layout.envelopeCount
        let s = DecodedState(envelopes: envelopes, frames: t, layout: layout)
        gradient?.update(repeating: 0, count: t * e)
        var loss = 0.0
        let latentScale = 1 / Double(t * wDim)
        for g in 0..<3 {
            let c = Double(geo.groupCounts[g]), q = geo.paletteGrams[g], z = target.projected[g]
            let sg = s.groupWeights(g, frames: t, paletteSize: p)
            var means = [Double](repeating: 0, count: p)
            for i in 0..<t { for k in 0..<p { means[k] += sg[i * p + k] / Double(t) } }
            // ‖C S P − C Y‖² = tr(SᵀCS Q) − 2 tr(Sᵀ Z) + ‖CY‖²; d/dS = 2 (C S Q − Z)
            var value = target.energy[g]
            let first = layout.latentEnvelopes(LayerGroup.allCases[g]).lowerBound
            for i in 0..<t {
                var dS = [Double](repeating: 0, count: p)
                for k in 0..<p {
                    var csq = 0.0
                    for l in 0..<p { csq += (sg[i * p + l] - means[l]) * q[l * p + k] }
                    value += (sg[i * p + k] - means[k]) * csq - 2 * sg[i * p + k] * z[i * p + k]
                    dS[k] = 2 * (csq - z[i * p + k]) * c * latentScale
                }
                guard let gradient else { continue }
                var dot = 0.0
                for k in 0..<p { dot += dS[k] * sg[i * p + k] }
                for k in 0..<p { gradient[i * e + first + k] = sg[i * p + k] * (dS[k] - dot) }
            }
            loss += c * value * latentScale
        }
        let nj = layout.drivenResolutions.count
        for j in 0..<nj {
            let (me, se) = layout.noiseEnvelopes(j)
            for i in 0..<t {
                let dm = s.mean[i * nj + j] - target.noiseMean[j][i], ds = s.sigma[i * nj + j] - target.noiseSigma[j][i]
                loss += (dm * dm + ds * ds) / Double(t)
                gradient?[i * e + me] = 2 * dm / Double(t) * NoiseEnvelope.meanSlope(s.rawMean[i * nj + j])
                gradient?[i * e + se] = 2 * ds / Double(t) * NoiseEnvelope.sigmaSlope(s.rawSigma[i * nj + j])
            }
        }
        return loss
    }
}

/// What the trainer minimises.
public enum TrainingObjective {
    /// 1 − correlation of the decoder outputs with the sequence's own features.
    case selfSupervised
    /// MSE against a target per training sequence (same order as the training set), through the
    /// decoder built from `paletteSeeds` (the palette the targets were projected on).
    case supervised(targets: [SupervisedTarget], wDim: Int)
}
