import Foundation
import LinearAlgebra

/// The self-supervised loss of thesis 4.2.2: 1 − orthogonal-Procrustes correlation between a sequence's
/// audio features and the decoder's outputs (every per-layer w and every driven noise pixel), with its
/// exact gradient with respect to the envelopes.
///
/// The output matrix V has thousands of columns, yet the correlation ‖ÃᵀṼ‖* only needs X = Ãᵀ V Vᵀ Ã
/// (a × a, a the audio width) and ‖CV‖² (C centres over time), since ‖M‖* = tr √(M Mᵀ). The decoder's
/// structure gives both without materialising V: a group's ws are its softmax weights S times its
/// palette P, so Ãᵀ V_g = (ÃᵀS) P and only P Pᵀ (K × K) is needed; a noise map is μ 1ᵀ + diag(σ) E with
/// E repeating over the loop's phases, so only E Eᵀ over the phases is needed. The cost is independent
/// of pixel count and linear in frames, so one implementation serves 8-second training sequences and
/// HiPPO's whole songs. The gradient retraces the same small products.
public enum SelfSupervisedLoss {
    public struct Result {
        public var loss: Double
        /// The correlation: concatenated, or the weighted mean of per-block correlations.
        public var correlation: Double
    }

    /// - Parameters:
    ///   - envelopes: frames × E raw envelopes.
    ///   - gradient: when given, receives dLoss/dEnvelopes (frames × E), overwritten.
    public static func evaluate(envelopes: UnsafePointer<Double>, target: AudioTarget, geometry geo: DecoderGeometry,
                                gradient: UnsafeMutablePointer<Double>? = nil) -> Result {
        let t = geo.frames, p = geo.layout.paletteSize
        precondition(target.frames == t)
        let audio = target.stacked()
        let a = audio.dims
        guard a > 0 else { gradient?.update(repeating: 0, count: t * geo.layout.envelopeCount); return Result(loss: 1, correlation: 0) }
        let s = DecodedState(envelopes: envelopes, frames: t, layout: geo.layout)
        let forward = Forward(audio: audio.values, a: a, state: s, geometry: geo)
        let n2 = max(forward.normSquared, 1e-300), n = n2.squareRoot()

        // ρ and W = ∂ρ/∂X.
        var rho = 0.0
        var w = [Double](repeating: 0, count: a * a)
        if target.weighted {
            let total = target.blocks.reduce(0) { $0 + $1.weight }
            for (block, range) in zip(target.blocks, audio.ranges) {
                let share = block.weight / total
                let (traceRoot, inverseRoot) = rootTrace(forward.x, n: a, range: range)
                rho += share * traceRoot / n
                for (i, r) in range.enumerated() { for (j, c) in range.enumerated() { w[r * a + c] = share * inverseRoot[i * range.count + j] / (2 * n) } }
            }
        } else {
            let f = Double(target.blocks.count)
            let (traceRoot, inverseRoot) = rootTrace(forward.x.map { $0 / f }, n: a, range: 0..<a)
            rho = traceRoot / n
            for i in 0..<(a * a) { w[i] = inverseRoot[i] / (2 * f * n) }
        }
        if let gradient {
            Backward(forward: forward, w: w, kappa: -rho / (2 * n2), state: s, geometry: geo).write(into: gradient)
        }
        return Result(loss: 1 - rho, correlation: rho)
    }

    /// tr √X_r and X_r^{-1/2} of the principal sub-block `range` of an n × n PSD matrix. Directions
    /// with eigenvalues at rounding level carry neither correlation nor gradient.
    static func rootTrace(_ x: [Double], n: Int, range: Range<Int>) -> (Double, [Double]) {
        let m = range.count
        var sub = [Double](repeating: 0, count: m * m)
        for (i, r) in range.enumerated() { for (j, c) in range.enumerated() { sub[i * m + j] = 0.5 * (x[r * n + c] + x[c * n + r]) } }
        guard let eigen = try? SymmetricEigen.decompose(sub, n: m) else { return (0, [Double](repeating: 0, count: m * m)) }
        let floor = max((eigen.values.last ?? 0) * 1e-12, 1e-300)
        var traceRoot = 0.0
        var scaled = eigen.vectors
        for (j, l) in eigen.values.enumerated() {
            let inv = l > floor ? 1 / l.squareRoot() : 0
            if l > floor { traceRoot += l.squareRoot() }
            for i in 0..<m { scaled[i * m + j] *= inv }
        }
        var inverseRoot = [Double](repeating: 0, count: m * m)
        scaled.withUnsafeBufferPointer { s in
            eigen.vectors.withUnsafeBufferPointer { v in
                DoubleGEMM.multiply(m: m, n: m, k: m, s.baseAddress!, v.baseAddress!, transposeB: true, into: &inverseRoot)
            }
        }
        return (traceRoot, inverseRoot)
    }
}

/// The small products of the forward pass, kept for the backward pass.
struct Forward {
    let audio: [Double]          // T × a
    let a: Int
    /// X = Aᵀ V Vᵀ A (a × a).
    var x: [Double]
    var normSquared = 0.0
    /// Per group: B = Aᵀ S (a × K).
    var b: [[Double]] = []
    /// Per noise scale: u = Aᵀ μ (a), H (phases × a) with H[φ] = Σ_{t at φ} σ_t A_t, v = Hᵀ r (a).
    var u: [[Double]] = [], h: [[Double]] = [], v: [[Double]] = []

    init(audio: [Double], a: Int, state s: DecodedState, geometry geo: DecoderGeometry) {
        self.audio = audio; self.a = a
        let t = geo.frames, p = geo.layout.paletteSize
        x = [Double](repeating: 0, count: a * a)
        for g in 0..<3 {
            let c = Double(geo.groupCounts[g]), q = geo.paletteGrams[g]
            let sg = s.groupWeights(g, frames: t, paletteSize: p)
            var bg = [Double](repeating: 0, count: a * p)
            audio.withUnsafeBufferPointer { ap in DoubleGEMM.multiply(m: a, n: p, k: t, ap.baseAddress!, transposeA: true, sg, into: &bg) }
            b.append(bg)
            guard c > 0 else { continue }
            // X += c · B Q Bᵀ
            var bq = [Double](repeating: 0, count: a * p)
            DoubleGEMM.multiply(m: a, n: p, k: p, bg, q, into: &bq)
            DoubleGEMM.multiply(m: a, n: a, k: p, bq, bg, transposeB: true, into: &x, beta: 1, alpha: c)
            // ‖C S P‖² = tr(SᵀCS · Q)
            var colSums = [Double](repeating: 0, count: p)
            for i in 0..<t { for k in 0..<p { colSums[k] += sg[i * p + k] } }
            for k in 0..<p {
                for l in 0..<p {
                    var sts = 0.0
                    for i in 0..<t { sts += sg[i * p + k] * sg[i * p + l] }
                    normSquared += c * (sts - colSums[k] * colSums[l] / Double(t)) * q[l * p + k]
                }
            }
        }
        let nj = geo.noise.count
        for (j, scale) in geo.noise.enumerated() {
            let phases = scale.phases, px = Double(scale.pixels)
            var uj = [Double](repeating: 0, count: a), hj = [Double](repeating: 0, count: phases * a)
            var wPhase = [Double](repeating: 0, count: phases)
            var sumMu = 0.0, squares = 0.0
            for i in 0..<t {
                let mu = s.mean[i * nj + j], sigma = s.sigma[i * nj + j], phi = geo.phaseOfFrame[i]
                for c in 0..<a { uj[c] += audio[i * a + c] * mu; hj[phi * a + c] += audio[i * a + c] * sigma }
                wPhase[phi] += sigma; sumMu += mu
                squares += px * mu * mu + 2 * mu * sigma * scale.rowSums[phi] + sigma * sigma * scale.gram[phi * phases + phi]
            }
            var vj = [Double](repeating: 0, count: a)
            for phi in 0..<phases { for c in 0..<a { vj[c] += hj[phi * a + c] * scale.rowSums[phi] } }
            var gw = 0.0, wr = 0.0
            for phi in 0..<phases {
                wr += wPhase[phi] * scale.rowSums[phi]
                for psi in 0..<phases { gw += wPhase[phi] * scale.gram[phi * phases + psi] * wPhase[psi] }
            }
            normSquared += squares - (px * sumMu * sumMu + 2 * sumMu * wr + gw) / Double(t)
            // X += P u uᵀ + u vᵀ + v uᵀ + Hᵀ G H
            for r in 0..<a { for c in 0..<a { x[r * a + c] += px * uj[r] * uj[c] + uj[r] * vj[c] + vj[r] * uj[c] } }
            var gh = [Double](repeating: 0, count: phases * a)
            DoubleGEMM.multiply(m: phases, n: a, k: phases, scale.gram, hj, into: &gh)
            DoubleGEMM.multiply(m: a, n: a, k: phases, hj, transposeA: true, gh, into: &x, beta: 1)
            u.append(uj); h.append(hj); v.append(vj)
        }
    }
}

/// ∂ρ/∂X = W and ∂ρ/∂n² = κ back to the envelopes; writes dLoss/dEnvelopes = −∂ρ/∂envelopes.
struct Backward {
    let forward: Forward, w: [Double], kappa: Double, state: DecodedState, geometry: DecoderGeometry

    func write(into grad: UnsafeMutablePointer<Double>) {
        let geo = geometry, s = state, a = forward.a, audio = forward.audio
        let t = geo.frames, layout = geo.layout, p = layout.paletteSize, e = layout.envelopeCount
        grad.update(repeating: 0, count: t * e)
        for g in 0..<3 {
            let c = Double(geo.groupCounts[g])
            guard c > 0 else { continue }
            let q = geo.paletteGrams[g], bg = forward.b[g]
            let sg = s.groupWeights(g, frames: t, paletteSize: p)
            // ∂ρ/∂B = 2c W B Q;  ∂ρ/∂S = A ∂ρ/∂B + κ 2c (S − 1 colmeans) Q
            var wb = [Double](repeating: 0, count: a * p), dB = [Double](repeating: 0, count: a * p)
            DoubleGEMM.multiply(m: a, n: p, k: a, w, bg, into: &wb)
            DoubleGEMM.multiply(m: a, n: p, k: p, wb, q, into: &dB, alpha: 2 * c)
            var dS = [Double](repeating: 0, count: t * p)
            audio.withUnsafeBufferPointer { ap in DoubleGEMM.multiply(m: t, n: p, k: a, ap.baseAddress!, dB, into: &dS) }
            var means = [Double](repeating: 0, count: p)
            for i in 0..<t { for k in 0..<p { means[k] += sg[i * p + k] / Double(t) } }
            let first = layout.latentEnvelopes(LayerGroup.allCases[g]).lowerBound
            for i in 0..<t {
                var dot = 0.0
                for k in 0..<p {
                    var centred = 0.0
                    for l in 0..<p { centred += (sg[i * p + l] - means[l]) * q[l * p + k] }
                    dS[i * p + k] += kappa * 2 * c * centred
                    dot += dS[i * p + k] * sg[i * p + k]
                }
                // softmax backward (temperature 1), and the sign: the loss is 1 − ρ.
                for k in 0..<p { grad[i * e + first + k] = -sg[i * p + k] * (dS[i * p + k] - dot) }
            }
        }
        let nj = geo.noise.count
        for (j, scale) in geo.noise.enumerated() {
            let phases = scale.phases, px = Double(scale.pixels)
            let uj = forward.u[j], hj = forward.h[j], vj = forward.v[j]
            // ∂ρ/∂u = 2W(P u + v), ∂ρ/∂v = 2 W u, ∂ρ/∂H = 2 G H W + r (∂ρ/∂v)ᵀ
            var dU = [Double](repeating: 0, count: a), dV = [Double](repeating: 0, count: a)
            for r in 0..<a { for c in 0..<a { dU[r] += 2 * w[r * a + c] * (px * uj[c] + vj[c]); dV[r] += 2 * w[r * a + c] * uj[c] } }
            var hw = [Double](repeating: 0, count: phases * a), dH = [Double](repeating: 0, count: phases * a)
            DoubleGEMM.multiply(m: phases, n: a, k: a, hj, w, into: &hw)
            DoubleGEMM.multiply(m: phases, n: a, k: phases, scale.gram, hw, into: &dH, alpha: 2)
            for phi in 0..<phases { for c in 0..<a { dH[phi * a + c] += scale.rowSums[phi] * dV[c] } }
            // Centring terms of n².
            var sumMu = 0.0, wPhase = [Double](repeating: 0, count: phases)
            for i in 0..<t { sumMu += s.mean[i * nj + j]; wPhase[geo.phaseOfFrame[i]] += s.sigma[i * nj + j] }
            var wr = 0.0, gw = [Double](repeating: 0, count: phases)
            for phi in 0..<phases {
                wr += wPhase[phi] * scale.rowSums[phi]
                for psi in 0..<phases { gw[phi] += scale.gram[phi * phases + psi] * wPhase[psi] }
            }
            let (me, se) = layout.noiseEnvelopes(j)
            for i in 0..<t {
                let mu = s.mean[i * nj + j], sigma = s.sigma[i * nj + j], phi = geo.phaseOfFrame[i]
                let r = scale.rowSums[phi], q = scale.gram[phi * phases + phi]
                var dMu = 0.0, dSigma = 0.0
                for c in 0..<a { dMu += audio[i * a + c] * dU[c]; dSigma += audio[i * a + c] * dH[phi * a + c] }
                dMu += kappa * (2 * px * mu + 2 * sigma * r - 2 * (px * sumMu + wr) / Double(t))
                dSigma += kappa * (2 * mu * r + 2 * sigma * q - 2 * (sumMu * r + gw[phi]) / Double(t))
                grad[i * e + me] = -dMu * NoiseEnvelope.meanSlope(s.rawMean[i * nj + j])
                grad[i * e + se] = -dSigma * NoiseEnvelope.sigmaSlope(s.rawSigma[i * nj + j])
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

    /// One group's weights, frames × K.
    func groupWeights(_ g: Int, frames t: Int, paletteSize p: Int) -> [Double] {
        var out = [Double](repeating: 0, count: t * p)
        for i in 0..<t { for k in 0..<p { out[i * p + k] = weights[i * 3 * p + g * p + k] } }
        return out
    }
}
