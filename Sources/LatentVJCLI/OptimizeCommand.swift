import ArgumentParser
import AudioIn
import Basics
import Features
import Foundation
import StyleGAN
import Synthesis

struct OptimizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "optimize",
        abstract: "HiPPO: optimise one song's envelopes for audiovisual correlation (thesis 4.3).",
        discussion: """
        The envelopes are sums of scaled Legendre polynomials; their coefficients are optimised with Adam \
        (cosine decay) for the self-supervised loss against the song's causal features. The file records the \
        decoder setup (palette and noise seeds) it was optimised for; render it with \
        `latentvj render SONG --synth hippo --envelopes SONG.envelopes`.

        Examples:
          latentvj optimize song.wav -o song.envelopes
          latentvj optimize song.wav -o song.envelopes --coefficients 256 --steps 1024 --weight chroma=10
        """)

    @Argument(help: "Audio file.")
    var audio: String

    @Option(name: .shortAndLong, help: "Output envelopes file.")
    var output: String

    @OptionGroup var model: ModelOption

    @Option(help: "Legendre coefficients per envelope (4…1024): fewer is smoother.")
    var coefficients = HiPPODefaults.coefficients

    @Option(help: "Optimisation steps.")
    var steps = HiPPODefaults.steps

    @Option(help: "Starting learning rate (cosine decay to 1e-5).")
    var learningRate = HiPPODefaults.learningRate

    @Option(help: "Loss window in seconds, windows overlapping by half (0: the whole song at once, as the thesis).")
    var window = HiPPODefaults.window

    @Option(help: "Weight a feature block in the loss, e.g. chroma=10 (repeatable; the loss becomes the weighted mean of per-feature correlations).")
    var weight: [String] = []

    @Option(help: "Frames per second.")
    var fps: Double = 24

    @Option(help: "Palette seed.")
    var paletteSeed: UInt64 = 1

    @Option(help: "Seed of the starting point.")
    var seed: UInt64 = 1

    @Flag(help: "No progress output.")
    var quiet = false

    func validate() throws {
        guard (4...1024).contains(coefficients) else { throw ValidationError("--coefficients must be between 4 and 1024") }
        guard (1...100_000).contains(steps) else { throw ValidationError("--steps must be between 1 and 100000") }
        _ = try FeatureWeights.parse(weight)
    }

    func run() throws {
        try reportingErrors {
            let weights = try FeatureWeights.parse(weight)
            let song = try SongAnalysis(path: audio, fps: fps, quiet: quiet)
            let generator = try Generator(weights: try model.load())
            var setup = DecoderSetup()
            setup.paletteSeeds = DecoderSetup.paletteSeeds(paletteSeed)
            let decoder = try setup.makeDecoder(generator: generator, fps: fps)
            let progress = Progress("optimizing \(song.frames) frames", total: Double(steps), enabled: !quiet)
            let optimizer = try song.optimizeHiPPO(decoder: decoder, coefficients: coefficients, steps: steps, learningRate: learningRate,
                                               window: window, weights: weights, seed: seed) { step, result in
                progress.update(Double(step), detail: String(format: "correlation %.3f", result.correlation))
            }
            progress.finish()
            let final = optimizer.history.last!
            let file = EnvelopesFile(audio: (audio as NSString).lastPathComponent, fps: fps, frames: song.frames, decoder: setup,
                                     basis: optimizer.basis, coefficients: optimizer.coefficients, featureWeights: weights,
                                     correlation: final.correlation, steps: steps)
            try file.save(path: output)
            if !quiet {
                FileHandle.standardError.write(String(format: "correlation %.3f → %.3f (decoder outputs, mean over windows); wrote %@\n",
                                                      optimizer.history.first!.correlation, final.correlation, output))
            }
        }
    }
}

/// `--weight name=x` options.
enum FeatureWeights {
    static func parse(_ options: [String]) throws -> [String: Double] {
        var out = [String: Double]()
        let names = Set(CausalLayout.columns.map(\.name))
        for option in options {
            let parts = option.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let value = Double(parts[1]), value.isFinite, value >= 0 else {
                throw ValidationError("--weight takes FEATURE=NUMBER, e.g. chroma=10 (got '\(option)')")
            }
            guard names.contains(parts[0]) else {
                throw ValidationError("--weight: unknown feature '\(parts[0])'; features: \(CausalLayout.columns.map(\.name).joined(separator: ", "))")
            }
            out[parts[0]] = value
        }
        return out
    }
}
