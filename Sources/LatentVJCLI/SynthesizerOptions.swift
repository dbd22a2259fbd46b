import ArgumentParser
import Basics
import Correlation
import Features
import Foundation
import ModelFiles
import StyleGAN
import Synthesis

/// HiPPO's defaults, shared by `optimize`, on-the-spot optimisation and the study: the thesis's. A
/// larger learning rate and windowed losses raise the correlation on decoder outputs but not on the
/// rendered video (measured in Docs/synthesizers.md), so they stay options.
enum HiPPODefaults {
    static let coefficients = 128
    static let steps = 512
    static let learningRate = 1e-3
    static let window = 0.0
}

/// The synthesizers `render` and `study` can run.
enum SynthesizerName: String, CaseIterable {
    case none, random, onsets, chroma, onsetsChroma = "onsets+chroma"
    case randomizer
    case randomizerBest = "randomizer-best"
    case supervised
    case gru
    case gruCausal = "gru-causal"
    case hippo
    /// HiPPO started from the envelope network's envelopes instead of noise.
    case hippoGRU = "hippo-gru"

    static var list: String { allCases.map(\.rawValue).joined(separator: ", ") }
}

/// `--synth` and what each synthesizer needs.
struct SynthesizerOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Synthesizer: \(SynthesizerName.list).",
                               discussion: "gru is the self-supervised envelope network (default: the shipped Presets/default.envelope); gru-causal runs it one frame at a time with a running residual centre, as the live engine does."))
    var synth = "gru"

    @Option(help: "Envelope network for gru/gru-causal/supervised (default: Presets/default.envelope or Presets/supervised.envelope).")
    var envelope: String?

    @Option(help: "HiPPO envelopes from `latentvj optimize` (default: optimise now).")
    var envelopes: String?

    @Option(help: "Randomizer patch file to replay.")
    var patch: String?

    @Option(help: "Randomizer: draw N patches and keep the best by correlation (randomizer-best defaults to 8).")
    var bestOf: Int?

    @Option(help: "Write the Randomizer patch used to this file (to edit and replay it).")
    var savePatch: String?

    @Option(help: "Palette seed of the decoder (gru, supervised, hippo).")
    var paletteSeed: UInt64 = 1

    @Option(help: "HiPPO optimised on the spot: Legendre coefficients per envelope.")
    var hippoCoefficients = HiPPODefaults.coefficients

    @Option(help: "HiPPO optimised on the spot: steps.")
    var hippoSteps = HiPPODefaults.steps

    @Option(help: "HiPPO optimised on the spot: starting learning rate.")
    var hippoLearningRate = HiPPODefaults.learningRate

    @Option(help: "HiPPO optimised on the spot: loss window in seconds (0: the whole song at once).")
    var hippoWindow = HiPPODefaults.window

    var name: SynthesizerName { SynthesizerName(rawValue: synth)! }

    func validate() throws {
        guard SynthesizerName(rawValue: synth) != nil else { throw ValidationError("--synth must be one of \(SynthesizerName.list)") }
        if let bestOf, !(1...256).contains(bestOf) { throw ValidationError("--best-of must be between 1 and 256") }
    }
}

/// Builds a frame synthesizer for a song.
struct SynthesizerFactory {
    let generator: Generator
    let song: SongAnalysis
    /// Offline features, computed on first use (interpolation groups and the Randomizer need them).
    let offline: () throws -> FeatureSet
    let seed: UInt64
    let psi: Float
    let quiet: Bool

    func make(_ name: SynthesizerName, options o: SynthesizerOptions) throws -> FrameSynthesizer {
        switch name {
        case .none, .random, .onsets, .chroma, .onsetsChroma:
            return InterpolationSequence(group: InterpolationGroup(rawValue: name.rawValue)!, features: try offline(),
                                         generator: generator, seed: seed, psi: psi)
        case .randomizer, .randomizerBest:
            let features = try offline()
            let patch: Patch
            if let path = o.patch {
                patch = try Patch.load(path: path)
            } else {
                let n = o.bestOf ?? (name == .randomizerBest ? 8 : 1)
                patch = n == 1 ? Patch.draw(seed: seed, features: features)
                    : try Patch.bestOf(n, seed: seed, features: features) { try PatchScoring.score($0, features: features, causal: song.causal, generator: generator) }.patch
            }
            if let path = o.savePatch { try patch.save(path: path) }
            return try Randomizer(patch: patch, features: features, generator: generator, psi: psi)
        case .gru, .gruCausal, .supervised:
            let (env, layout, path) = try networkEnvelopes(o, causal: name == .gruCausal, supervised: name == .supervised)
            var setup = DecoderSetup()
            setup.layout = layout
            setup.paletteSeeds = DecoderSetup.paletteSeeds(o.paletteSeed)
            return try envelopeSequence(env, setup: setup, causal: name == .gruCausal, path: path)
        case .hippo, .hippoGRU:
            if let path = o.envelopes {
                let file = try EnvelopesFile.load(path: path)
                try file.check(frames: song.frames, fps: song.fps, path: path)
                var env = file.envelopes()
                if env.count < song.frames * file.decoder.layout.envelopeCount {   // one frame short: hold the last
                    env += env.suffix(file.decoder.layout.envelopeCount)
                }
                return try envelopeSequence(Array(env.prefix(song.frames * file.decoder.layout.envelopeCount)), setup: file.decoder, causal: false, path: path)
            }
            var setup = DecoderSetup()
            setup.paletteSeeds = DecoderSetup.paletteSeeds(o.paletteSeed)
            let decoder = try setup.makeDecoder(generator: generator, fps: song.fps)
            let progress = Progress("HiPPO", total: Double(o.hippoSteps), enabled: !quiet)
            let initial = name == .hippoGRU ? try networkEnvelopes(o, causal: false).envelopes : nil
            let optimizer = try song.optimizeHiPPO(decoder: decoder, coefficients: o.hippoCoefficients, steps: o.hippoSteps,
                                                   learningRate: o.hippoLearningRate, window: o.hippoWindow, seed: seed,
                                                   startingFrom: initial) { step, r in
                progress.update(Double(step), detail: String(format: "correlation %.3f", r.correlation))
            }
            progress.finish()
            return try envelopeSequence(optimizer.envelopes(), setup: setup, causal: false, path: nil)
        }
    }

    /// The envelope network's envelopes for the song (`--envelope`, else the shipped network).
    func networkEnvelopes(_ o: SynthesizerOptions, causal: Bool, supervised: Bool = false) throws -> (envelopes: [Double], layout: DecoderLayout, path: String) {
        let path = try o.envelope ?? ShippedFiles.locate(supervised ? "Presets/supervised.envelope" : "Presets/default.envelope")
        let file = try EnvelopeModelFile.load(path: path)
        guard abs(file.fps - song.fps) < 1e-6 else { throw FileError(path, "was trained at \(file.fps) fps; render with --fps \(file.fps)") }
        let network = try file.network(path: path)
        let inputs = file.statistics.apply(song.rows)
        let env = causal ? network.causalEnvelopes(inputs: inputs, frames: song.frames) : network.envelopes(inputs: inputs, frames: song.frames)
        return (env, file.layout, path)
    }

    private func envelopeSequence(_ env: [Double], setup: DecoderSetup, causal: Bool, path: String?) throws -> FrameSynthesizer {
        let decoder: ParameterFreeDecoder
        do { decoder = try setup.makeDecoder(generator: generator, fps: song.fps) } catch {
            if let path { throw FileError(path, "does not fit \(generator.label): \(error)") }
            throw error
        }
        decoder.gains.psi = Double(psi)
        let beats = EnvelopeSequence.beats(tempo: song.causal["tempo"], rms: song.causal["rms"], frames: song.frames, fps: song.fps)
        return EnvelopeSequence(envelopes: env, decoder: decoder, beats: beats, causal: causal)
    }
}

/// Scores a Randomizer patch without rendering: its latents and noise statistics against the song's
/// causal features (balanced OP), the proxy `--best-of` and the supervised curation use.
enum PatchScoring {
    static func score(_ patch: Patch, features: FeatureSet, causal: FeatureSet, generator: Generator) throws -> Double {
        let groups = LayerGroups(numWs: generator.numWs, noiseResolutions: generator.noiseLayers.map(\.resolution))
        return try SupervisedTargets.Outputs(patch: patch, features: features, generator: generator, groups: groups, layout: .standard)
            .score(against: causal)
    }
}
