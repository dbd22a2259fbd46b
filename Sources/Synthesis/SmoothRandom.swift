import Basics
import Foundation

/// Gaussian-smoothed random sequences, generated lazily: the value at frame t is a Gaussian-weighted
/// sum of random "key" vectors placed every `spacing` frames, renormalised to unit variance. That is
/// white noise smoothed over time with σ, sampled without ever holding the whole sequence in memory.
struct SmoothRandomSequence {
    let dims: Int
    let sigma: Double
    let spacing: Int
    let seed: UInt64
    private var cache: [Int: [Float]] = [:]

    init(dims: Int, sigma: Double, seed: UInt64) {
        self.dims = dims
        self.sigma = max(sigma, 0)
        spacing = max(1, Int((sigma / 2).rounded()))
        self.seed = seed
    }

    mutating func key(_ j: Int) -> [Float] {
        if let k = cache[j] { return k }
        var rng = SeededRandom(seed: seed &* 0x9E37_79B9 &+ UInt64(bitPattern: Int64(j)))
        let k = (0..<dims).map { _ in Float(rng.normal()) }
        if cache.count > 64 { cache.removeAll(keepingCapacity: true) }
        cache[j] = k
        return k
    }

    /// Writes frame t's vector.
    mutating func value(at t: Int, into out: UnsafeMutablePointer<Float>) {
        out.update(repeating: 0, count: dims)
        guard sigma > 0 else {
            let k = key(t)
            for i in 0..<dims { out[i] = k[i] }
            return
        }
        let centre = t / spacing
        let reach = Int(ceil(4 * sigma / Double(spacing))) + 1
        var sumSquares = 0.0
        for j in (centre - reach)...(centre + reach) {
            let d = Double(t - j * spacing)
            let g = exp(-0.5 * d * d / (sigma * sigma))
            guard g > 1e-6 else { continue }
            sumSquares += g * g
            let k = key(j)
            let gf = Float(g)
            for i in 0..<dims { out[i] += gf * k[i] }
        }
        let norm = Float(1 / max(sumSquares, 1e-12).squareRoot())
        for i in 0..<dims { out[i] *= norm }
    }
}
