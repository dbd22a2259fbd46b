/// How a vector of envelopes is laid out for the parameter-free decoder (thesis Fig. 4.3, Appendix A.2):
/// K latent-weight envelopes per group (deep, middle, shallow), then a mean and a standard-deviation
/// envelope for each driven noise resolution. With K = 3 and resolutions 4, 8, 16, 32: E = 17.
/// Envelope networks and HiPPO files record their layout, and are refused by a decoder with another.
public struct DecoderLayout: Codable, Equatable, Sendable, CustomStringConvertible {
    public var paletteSize: Int
    public var drivenResolutions: [Int]

    public static let standard = DecoderLayout(paletteSize: 3, drivenResolutions: [4, 8, 16, 32])

    public init(paletteSize: Int, drivenResolutions: [Int]) {
        self.paletteSize = paletteSize
        self.drivenResolutions = drivenResolutions
    }

    public var envelopeCount: Int { 3 * paletteSize + 2 * drivenResolutions.count }

    /// The latent-weight envelopes of a group.
    public func latentEnvelopes(_ group: LayerGroup) -> Range<Int> {
        (group.index * paletteSize)..<((group.index + 1) * paletteSize)
    }

    /// The mean and standard-deviation envelopes of driven resolution j.
    public func noiseEnvelopes(_ j: Int) -> (mean: Int, sigma: Int) {
        (3 * paletteSize + 2 * j, 3 * paletteSize + 2 * j + 1)
    }

    /// Envelope names, for plots, logs and OSC.
    public var envelopeNames: [String] {
        var names = [String]()
        for g in LayerGroup.allCases { for k in 0..<paletteSize { names.append("\(g.rawValue).w\(k)") } }
        for r in drivenResolutions { names.append("noise.s\(r).mean"); names.append("noise.s\(r).sigma") }
        return names
    }

    public var description: String {
        "palette \(paletteSize) per group, noise driven at \(drivenResolutions.map(String.init).joined(separator: "/")) (\(envelopeCount) envelopes)"
    }
}

/// The bounded noise statistics a pair of raw envelopes stands for. Raw envelopes are unbounded
/// network outputs; a VJ's picture must not blow up when one drifts, so the mean goes through tanh
/// (−1…1) and the standard deviation through 2·sigmoid (0…2, exactly 1 at a zero envelope, StyleGAN's
/// training noise level).
public enum NoiseEnvelope {
    @inline(__always) public static func mean(_ e: Double) -> Double { tanh(e) }
    @inline(__always) public static func sigma(_ e: Double) -> Double { 2 / (1 + exp(-e)) }
    /// d mean / d e
    @inline(__always) public static func meanSlope(_ e: Double) -> Double { let t = tanh(e); return 1 - t * t }
    /// d sigma / d e
    @inline(__always) public static func sigmaSlope(_ e: Double) -> Double { let s = 1 / (1 + exp(-e)); return 2 * s * (1 - s) }
}

import Foundation
