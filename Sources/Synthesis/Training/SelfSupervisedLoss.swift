import Foundation
import LinearAlgebra

/// The self-supervised loss of thesis 4.2.2: 1 − orthogonal-Procrustes correlation between a sequence's
/// audio features and the decoder's outputs (every per-layer w and every driven noise pixel), with its
/// exact gradient with respect to the envelopes.
///
/// The decoder's output matrix V has thousands of columns, but the correlation only needs its Gram
/// matrix K = V·Vᵀ (frames × frames). With Ã the balanced, unit-norm audio matrix (centred, so CÃ = Ã)
///
///     ρ = tr √(Ãᵀ K Ã) / √tr(C K C)          (C the centring matrix)
///
/// which is ‖ÃᵀṼ‖* for the centred, unit-norm Ṽ: the nuclear norm via the eigenvalues of a small
/// a × a matrix instead of an SVD of a × (thousands). K is assembled from the palette Grams and the
/// noise Grams of `DecoderGeometry`, and the gradient flows back the same way: ∂ρ/∂K, then into the
/// softmax weights and the noise mean and sigma, then into the raw envelopes.
public enum SelfSupervisedLoss {
    public struct Result {
        public var loss: Double
        /// The correlation (concatenated, or the weighted mean of per-block correlations).
        public var correlation: Double
    }

    /// - Parameters:
    ///   - envelopes: frames × E raw envelopes.
    ///   - gradient: when given, receives dLoss/dEnvelopes (frames × E), overwritten.
    public static func evaluate(envelopes: UnsafePointer<Double>, target: AudioTarget, geometry: DecoderGeometry,
                                gradient: UnsafeMutablePointer<Double>? = nil) -> Result {
        let t = geometry.frames, layout = geometry.layout
        precondition(target.frames == t)
        let state = DecodedState(envelopes: envelopes, frames: t, layout: layout)
        var k = [Double](repeating: 0, count: t * t)
        assembleGram(state, geometry, into: &k)

        // n² = tr(CKC) = tr K − 1ᵀK1 / T
        var trace = 0.0, total = 0.0
        for i in 0..<t { trace += k[i * t + i]; for j in 0..<t { total += k[i * t + j] } }
        let n2 = max(trace - total / Double(t), 1e-300)
        let n = n2.squareRoot()

        // Per audio block (or one concatenated block): ρ_f and ∂ρ_f/∂K.
        let parts: [(values: [Double], dims: Int, weight: Double)]
        if target.weighted {
            parts = target.blocks.map { ($0.values, $0.dims, $0.weight) }
        } else {
            let c = target.concatenated()
            parts = [(c.values, c.dims, 1)]
        }
        let weightSum = max(parts.reduce(0) { $0 + $1.weight }, 1e-300)
        var correlation = 0.0
        var dK = gradient == nil ? [] : [Double](repeating: 0, count: t * t)
        for part in parts {
            let (rho, dRho) = blockCorrelation(part.values, dims: part.dims, k: k, frames: t, norm: n, wantGradient: gradient != nil)
            correlation += part.weight * rho / weightSum
            if gradient != nil { for i in 0..<(t * t) { dK[i] -= part.weight / weightSum * dRho[i] } }
        }
        if let gradient {
            // Centring term of every block: ∂(1/n)/∂K = −C / (2 n³), times the block's numerator ρ_f·n.
            backpropagate(dK: dK, state: state, geometry: geometry, into: gradient)
        }
        return Result(loss: 1 - correlation, correlation: correlation)
    }

    /// ρ = tr √X / n with X = Ãᵀ K Ã, and ∂ρ/∂K = ½ Ã X^{-1/2} Ãᵀ / n − ρ/(2n²) · C.
    static func blockCorrelation(_ a: [Double], dims: Int, k: [Double], frames t: Int, norm n: Double,
                                 wantGradient: Bool) -> (Double, [Double]) {
        var ka = [Double](repeating: 0, count: t * dims)          // K Ã
        var x = [Double](repeating: 0, count: dims * dims)        // Ãᵀ K Ã
        a.withUnsafeBufferPointer { ap in
            k.withUnsafeBufferPointer { kp in
                DoubleGEMM.multiply(m: t, n: dims, k: t, kp.baseAddress!, ap.baseAddress!, into: &ka)
            }
            ka.withUnsafeBufferPointer { kap in
                DoubleGEMM.multiply(m: dims, n: dims, k: t, ap.baseAddress!, transposeA: true, kap.baseAddress!, into: &x)
            }
        }
        for i in 0..<dims { for j in (i + 1)..<max(dims, i + 1) { let s = 0.5 * (x[i * dims + j] + x[j * dims + i]); x[i * dims + j] = s; x[j * dims + i] = s } }
        guard let eigen = try? SymmetricEigen.decompose(x, n: dims) else { return (0, [Double](repeating: 0, count: wantGradient ? t * t : 0)) }
        let top = eigen.values.last ?? 0
        let floor = max(top * 1e-12, 1e-300)
        var traceRoot = 0.0
        var inverseRoots = [Double](repeating: 0, count: dims)
        for (i, l) in eigen.values.enumerated() where l > floor {
            traceRoot += l.squareRoot()
            inverseRoots[i] = 1 / l.squareRoot()
        }
        let rho = traceRoot / n
        guard wantGradient else { return (rho, []) }
        // X^{-1/2} = V diag(1/√λ) Vᵀ, then B = Ã X^{-1/2}, then ∂ρ/∂K = ½ B Ãᵀ / n − ρ/(2n²) C.
        var scaledV = eigen.vectors
        for i in 0..<dims { for j in 0..<dims { scaledV[i * dims + j] *= inverseRoots[j] } }
        var xInvRoot = [Double](repeating: 0, count: dims * dims)
        scaledV.withUnsafeBufferPointer { s in
            eigen.vectors.withUnsafeBufferPointer { v in
                DoubleGEMM.multiply(m: dims, n: dims, k: dims, s.baseAddress!, v.baseAddress!, transposeB: true, into: &xInvRoot)
            }
        }
        var b = [Double](repeating: 0, count: t * dims)
        var d = [Double](repeating: 0, count: t * t)
        a.withUnsafeBufferPointer { ap in
            xInvRoot.withUnsafeBufferPointer { xp in
                DoubleGEMM.multiply(m: t, n: dims, k: dims, ap.baseAddress!, xp.baseAddress!, into: &b)
            }
            b.withUnsafeBufferPointer { bp in
                DoubleGEMM.multiply(m: t, n: t, k: dims, bp.baseAddress!, ap.baseAddress!, transposeB: true, into: &d, alpha: 0.5 / n)
            }
        }
        let c = rho / (2 * n * n), offDiagonal = c / Double(t)
        for i in 0..<t {
            for j in 0..<t { d[i * t + j] += offDiagonal }
            d[i * t + i] -= c
        }
        return (rho, d)
    }

    /// K = Σ_g c_g S_g Q_g S_gᵀ + Σ_j N_j N_jᵀ, with N_j = μ_j 1ᵀ + diag(σ_j) E_j.
    static func assembleGram(_ s: DecodedState, _ geo: DecoderGeometry, into k: inout [Double]) {
        let t = geo.frames, p = geo.layout.paletteSize
        for g in 0..<3 {
            let c = Double(geo.groupCounts[g])
            guard c > 0 else { continue }
            // SQ = S_g Q_g (t × p), then K += c · SQ S_gᵀ
            var sq = [Double](repeating: 0, count: t * p)
            let q = geo.paletteGrams[g]
            for i in 0..<t { for a in 0..<p { var v = 0.0; for b in 0..<p { v += s.weights[i * 3 * p + g * p + b] * q[b * p + a] }; sq[i * p + a] = v } }
            for i in 0..<t {
                for j in i..<t {
                    var v = 0.0
                    for a in 0..<p { v += sq[i * p + a] * s.weights[j * 3 * p + g * p + a] }
                    k[i * t + j] += c * v
                    if j != i { k[j * t + i] += c * v }
                }
            }
        }
        for (j, scale) in geo.noise.enumerated() {
            let px = Double(scale.pixels)
            for a in 0..<t {
                let ma = s.mean[a * geo.noise.count + j], sa = s.sigma[a * geo.noise.count + j]
                for b in 0..<t {
                    let mb = s.mean[b * geo.noise.count + j], sb = s.sigma[b * geo.noise.count + j]
                    k[a * t + b] += px * ma * mb + ma * sb * scale.rowSums[b] + sa * scale.rowSums[a] * mb
                        + sa * sb * scale.gram[a * t + b]
                }
            }
        }
    }

    /// dL/dK (symmetric) → dL/dEnvelopes.
    static func backpropagate(dK: [Double], state s: DecodedState, geometry geo: DecoderGeometry,
                              into grad: UnsafeMutablePointer<Double>) {
        let t = geo.frames, layout = geo.layout, p = layout.paletteSize, e = layout.envelopeCount
        grad.update(repeating: 0, count: t * e)
        // Latent groups: dL/dS_g = 2 c_g dK S_g Q_g, then the softmax.
        var dS = [Double](repeating: 0, count: p)
        for g in 0..<3 {
            let c = Double(geo.groupCounts[g])
            guard c > 0 else { continue }
            let q = geo.paletteGrams[g]
            var ds = [Double](repeating: 0, count: t * p)     // dK S_g
            for i in 0..<t {
                for j in 0..<t {
                    let d = dK[i * t + j]
                    guard d != 0 else { continue }
                    for a in 0..<p { ds[i * p + a] += d * s.weights[j * 3 * p + g * p + a] }
                }
            }
            for i in 0..<t {
                var dot = 0.0
                for a in 0..<p {
                    var v = 0.0
                    for b in 0..<p { v += ds[i * p + b] * q[b * p + a] }
                    dS[a] = 2 * c * v
                    dot += dS[a] * s.weights[i * 3 * p + g * p + a]
                }
                // softmax backward (temperature 1): dL/de_a = s_a (dL/ds_a − Σ_b s_b dL/ds_b)
                for a in 0..<p {
                    grad[i * e + layout.latentEnvelopes(LayerGroup.allCases[g]).lowerBound + a] =
                        s.weights[i * 3 * p + g * p + a] * (dS[a] - dot)
                }
            }
        }
        // Noise: dL/dμ = 2 dK (P μ + σ∘r), dL/dσ = 2 (r ∘ dK μ + (dK ∘ G) σ).
        let nj = geo.noise.count
        for (j, scale) in geo.noise.enumerated() {
            let px = Double(scale.pixels)
            let (me, se) = layout.noiseEnvelopes(j)
            for a in 0..<t {
                var dMu = 0.0, dKmu = 0.0, dSigma = 0.0
                for b in 0..<t {
                    let d = dK[a * t + b]
                    let mb = s.mean[b * nj + j], sb = s.sigma[b * nj + j]
                    dMu += d * (px * mb + sb * scale.rowSums[b])
                    dKmu += d * mb
                    dSigma += d * scale.gram[a * t + b] * sb
                }
                let dSig = 2 * (scale.rowSums[a] * dKmu + dSigma)
                grad[a * e + me] = 2 * dMu * NoiseEnvelope.meanSlope(s.rawMean[a * nj + j])
                grad[a * e + se] = dSig * NoiseEnvelope.sigmaSlope(s.rawSigma[a * nj + j])
            }
        }
    }
}

/// The decoder's per-frame quantities that the loss needs: softmax weights, noise means and sigmas.
struct DecodedState {
    /// frames × 3K
    var weights: [Double]
    /// frames × driven resolutions
    var mean: [Double], sigma: [Double], rawMean: [Double], rawSigma: [Double]

    init(envelopes: UnsafePointer<Double>, frames t: Int, layout: DecoderLayout) {
        let p = layout.paletteSize, e = layout.envelopeCount, nj = layout.drivenResolutions.count
        weights = [Double](repeating: 0, count: t * 3 * p)
        mean = [Double](repeating: 0, count: t * nj); sigma = mean; rawMean = mean; rawSigma = mean
        weights.withUnsafeMutableBufferPointer { w in
            for i in 0..<t {
                for g in 0..<3 { ParameterFreeDecoder.softmax(envelopes + i * e + g * p, count: p, temperature: 1, into: w.baseAddress! + i * 3 * p + g * p) }
            }
        }
        for i in 0..<t {
            for j in 0..<nj {
                let (me, se) = layout.noiseEnvelopes(j)
                rawMean[i * nj + j] = envelopes[i * e + me]; rawSigma[i * nj + j] = envelopes[i * e + se]
                mean[i * nj + j] = NoiseEnvelope.mean(envelopes[i * e + me])
                sigma[i * nj + j] = NoiseEnvelope.sigma(envelopes[i * e + se])
            }
        }
    }
}
