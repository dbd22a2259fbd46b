/// A small, fast, deterministic generator (SplitMix64): the same seed gives the same stream on every
/// machine, which is what demo audio, default models and test signals rely on.
public struct SeededRandom: RandomNumberGenerator {
    /// The whole generator state: `SeededRandom(seed: state)` continues the same stream (checkpoints).
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    public mutating func uniform() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// Standard normal (Box–Muller; one value per call, the second is discarded for simplicity).
    public mutating func normal() -> Double {
        var u = uniform()
        while u <= 1e-300 { u = uniform() }
        let v = uniform()
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
