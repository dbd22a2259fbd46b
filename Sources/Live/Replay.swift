import Control
import StyleGAN
import Synthesis

/// A logged performance played back: the same envelopes, beats, musical time and parameter values
/// (gains, palette numbers, blackout) through a decoder set up as on stage, so `render --replay` paints
/// the set again, one frame per logged row of music (same model and size: the frames the stage
/// showed are among them, identical).
public final class Replay: FrameSynthesizer {
    public let frames: Int
    public let header: PerformanceLog.Header
    private let records: [PerformanceLog.Record]
    private let decoder: ParameterFreeDecoder
    private let generator: Generator
    /// With parameters in the log: the stage's binding, and where each logged value goes in it.
    private let binding: ParameterBinding?
    private let order: [(logged: Int, registry: Int)]
    private var values: [Double]
    /// Frames to paint black (blackout was on).
    public private(set) var blackFrames = Set<Int>()

    public init(log: (header: PerformanceLog.Header, records: [PerformanceLog.Record]), generator: Generator) throws {
        header = log.header
        records = log.records
        frames = records.count
        self.generator = generator
        decoder = try header.decoder.makeDecoder(generator: generator, fps: header.fps)
        header.apply(to: decoder)
        if let names = header.parameters {
            let features = header.featureGroups.map { EnvelopeModelFile.FeatureColumn(name: $0, dims: 1) }
            let registry = ParameterRegistry.live(noiseResolutions: decoder.noiseResolutions, featureGroups: features.map(\.name))
            let b = ParameterBinding(registry: registry, noiseResolutions: decoder.noiseResolutions, features: features)
            binding = b
            order = names.enumerated().compactMap { i, name in registry.index(of: name).map { (i, $0) } }
            values = registry.parameters.map(\.defaultValue)
        } else {
            binding = nil; order = []; values = []
        }
    }

    /// Frozen frames leave `ws` and the noise maps as the previous frame set them (the renderer reuses
    /// its buffer), exactly as the stage showed the held picture.
    public func frame(_ k: Int, ws: UnsafeMutablePointer<Float>) {
        let index = min(max(k, 0), frames - 1)
        let r = records[index]
        var frozen = false
        if let binding, let logged = r.parameters {
            for (l, i) in order { values[i] = logged[l] }
            values.withUnsafeBufferPointer { v in
                binding.applyGains(v.baseAddress!, to: decoder)
                for g in 0..<3 {
                    let seed = ParameterBinding.seed(paletteNumber: binding.paletteNumber(v.baseAddress!, group: g), group: g)
                    if decoder.palette.seeds[g] != seed { decoder.palette.reseed(LayerGroup.allCases[g], seed: seed, generator: generator) }
                }
                if binding.isBlackout(v.baseAddress!) { blackFrames.insert(index) }
                frozen = binding.isFrozen(v.baseAddress!) && k > 0
            }
        }
        // The decoder's state follows every row, frozen or not, as on stage; a frozen row writes nothing.
        r.envelopes.withUnsafeBufferPointer { decoder.step($0.baseAddress!) }
        if frozen { return }
        decoder.write(time: r.time ?? Double(r.frame), beat: r.beat, ws: ws)
    }
}
