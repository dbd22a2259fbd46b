import Control
import Synthesis

/// Where each parameter of the registry acts: decoder gains, the network's input weights, the
/// synthesizer switch, freeze and blackout. Built once; applying it per frame allocates nothing. The
/// same code serves the stage (from the follower's ramped values) and `render --replay` (from the
/// logged values), so a replay moves exactly as the set did.
public struct ParameterBinding {
    public let registry: ParameterRegistry
    let amplitude: [Int], palette: [Int], reseed: [Int], noiseSigma: [Int]
    let synth: Int, freeze: Int, blackout: Int
    /// The decoder's scalar gains, one row each: the parameter that sets it and where its value goes.
    /// A new gain is a row here and its entry in `ParameterRegistry.live` (range, default, help); the
    /// performance log, presets, OSC, MIDI and replay follow from those two.
    static let scalarGains: [(name: String, set: @Sendable (inout DecoderGains, Double) -> Void)] = [
        ("intensity", { $0.intensity = $1 }),
        ("psi", { $0.psi = $1 }),
        ("temperature", { $0.temperature = $1 }),
        ("smoothing", { $0.smoothing = $1 }),
        ("loop.bars", { $0.loopBars = $1 }),
        ("residual", { $0.residual = $1 >= 0.5 }),
    ]
    /// Registry index of each row of `scalarGains`.
    let scalarGainIndex: [Int]
    /// Per feature group: its weight parameter and the z columns it scales.
    let weights: [(parameter: Int, start: Int, count: Int)]

    /// The engine's registry for this decoder (its noise scales) and network (its feature groups).
    public static func registry(decoder: ParameterFreeDecoder, features: [EnvelopeModelFile.FeatureColumn],
                                outputs: [(name: String, target: String)] = []) -> ParameterRegistry {
        ParameterRegistry.live(noiseResolutions: decoder.noiseResolutions, featureGroups: features.map(\.name), outputs: outputs)
    }

    public init(registry: ParameterRegistry, noiseResolutions: [Int], features: [EnvelopeModelFile.FeatureColumn]) {
        self.registry = registry
        func at(_ name: String) -> Int {
            guard let i = registry.index(of: name) else { preconditionFailure("the registry has no \(name)") }
            return i
        }
        amplitude = ParameterRegistry.groups.map { at("\($0).amplitude") }
        palette = ParameterRegistry.groups.map { at("\($0).palette") }
        reseed = ParameterRegistry.groups.map { at("\($0).reseed") }
        noiseSigma = noiseResolutions.map { at("noise.s\($0).sigma") }
        scalarGainIndex = Self.scalarGains.map { at($0.name) }
        synth = at("synth"); freeze = at("freeze"); blackout = at("blackout")
        var start = 0
        weights = features.map { f in
            defer { start += f.dims }
            return (at("weight.\(f.name)"), start, f.dims)
        }
    }

    /// Sets the decoder's gains from values in registry order.
    public func applyGains(_ values: UnsafePointer<Double>, to decoder: ParameterFreeDecoder) {
        for g in 0..<3 { decoder.gains.amplitude[g] = values[amplitude[g]] }
        for (i, p) in noiseSigma.enumerated() where i < decoder.gains.noiseSigma.count { decoder.gains.noiseSigma[i] = values[p] }
        for (row, index) in zip(Self.scalarGains, scalarGainIndex) { row.set(&decoder.gains, values[index]) }
    }

    /// Scales the network's z-scored inputs by their feature group's weight.
    public func weigh(_ z: UnsafeMutablePointer<Double>, _ values: UnsafePointer<Double>) {
        for w in weights {
            let k = values[w.parameter]
            if k != 1 { for c in w.start..<(w.start + w.count) { z[c] *= k } }
        }
    }

    public func isFrozen(_ values: UnsafePointer<Double>) -> Bool { values[freeze] >= 0.5 }
    public func isBlackout(_ values: UnsafePointer<Double>) -> Bool { values[blackout] >= 0.5 }
    /// synth = none: the decoder gets neutral envelopes (the home picture; loops and noise still move).
    public func isSynthOff(_ values: UnsafePointer<Double>) -> Bool { values[synth] >= 0.5 }
    /// Clamped before the conversion: a logged value read back from a file may be anything.
    public func paletteNumber(_ values: UnsafePointer<Double>, group: Int) -> Int {
        let v = values[palette[group]]
        return v.isFinite ? Int(min(9999, max(1, v))) : 1
    }
    public func reseedIndex(group: Int) -> Int { reseed[group] }
    public func paletteIndex(group: Int) -> Int { palette[group] }

    /// The seed of a group's palette number (number 1 is the default palette, `Palette.seeds(1)`).
    public static func seed(paletteNumber n: Int, group: Int) -> UInt64 { Palette.seeds(UInt64(max(1, n)))[group] }
}
