import Basics
import Foundation

/// Temporally smooth unit noise for one noise map, as a deterministic function of (seed, phase): the
/// thesis's periodic loop (section 4.1.2)
///
///     N0(t) = sin(cos(2π·t + n0) / (σ/50) + n1) · n2,   N(t) = N0(t) / rms(N0(t))
///
/// with per-pixel n0, n1, n2 ~ N(0, 1) and t the phase in loops. Nothing but the three per-pixel seeds is
/// stored, so a whole set of noise is never materialised (the thesis measured 300 GB for five minutes at
/// full size); any frame is computed on demand, in any order, without allocating. It repeats every loop,
/// which is what tempo-synced noise wants; σ sets the smoothness (larger is smoother).
public final class LoopNoise {
    public let pixels: Int
    public let sigma: Double
    private let cosN0: UnsafeMutablePointer<Float>
    private let sinN0: UnsafeMutablePointer<Float>
    private let n1: UnsafeMutablePointer<Float>
    private let n2: UnsafeMutablePointer<Float>

    public init(pixels: Int, seed: UInt64, sigma: Double) {
        precondition(pixels > 0 && sigma > 0)
        self.pixels = pixels
        self.sigma = sigma
        cosN0 = .allocate(capacity: pixels); sinN0 = .allocate(capacity: pixels)
        n1 = .allocate(capacity: pixels); n2 = .allocate(capacity: pixels)
        var rng = SeededRandom(seed: seed)
        for p in 0..<pixels {
            let a = rng.normal()
            cosN0[p] = Float(cos(a)); sinN0[p] = Float(sin(a))
            n1[p] = Float(rng.normal()); n2[p] = Float(rng.normal())
        }
    }

    deinit { cosN0.deallocate(); sinN0.deallocate(); n1.deallocate(); n2.deallocate() }

    /// Writes the map at `phase` (in loops: 0, 1, 2 … are the same picture) with unit RMS.
    public func fill(phase: Double, into out: UnsafeMutablePointer<Float>) {
        let angle = 2 * Double.pi * (phase - phase.rounded(.down))
        let c = Float(cos(angle)), s = Float(sin(angle))
        let gain = Float(50 / sigma)
        var sumSquares: Float = 0
        for p in 0..<pixels {
            // cos(angle + n0) by the angle-sum identity: one sine per pixel instead of two.
            let inner = (c * cosN0[p] - s * sinN0[p]) * gain + n1[p]
            let v = sinf(inner) * n2[p]
            out[p] = v
            sumSquares += v * v
        }
        let scale = 1 / max(sumSquares / Float(pixels), 1e-12).squareRoot()
        for p in 0..<pixels { out[p] *= scale }
    }
}

/// One LoopNoise per generator noise layer, seeded per layer, sharing one loop length.
public final class NoiseBank {
    public let layers: [LoopNoise]
    /// Frames per loop.
    public var periodFrames: Double

    /// - Parameters:
    ///   - resolutions: each noise layer's resolution (maps are resolution²).
    ///   - periodFrames: frames per loop (for example 16 bars at the song's tempo).
    public init(resolutions: [Int], seed: UInt64, periodFrames: Double, sigma: Double = 10) {
        self.periodFrames = max(1, periodFrames)
        layers = resolutions.enumerated().map { i, r in
            LoopNoise(pixels: r * r, seed: seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(i) &+ 1, sigma: sigma)
        }
    }

    /// Layer `layer`'s map at `frame` (fractional frames allowed).
    public func fill(layer: Int, frame: Double, into out: UnsafeMutablePointer<Float>) {
        layers[layer].fill(phase: frame / periodFrames, into: out)
    }
}
