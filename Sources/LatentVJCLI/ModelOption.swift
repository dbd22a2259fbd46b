import ArgumentParser
import Basics
import ModelFiles
import StyleGAN

/// `--model` and `--render-size`, shared by every command that runs a generator.
struct ModelOption: ParsableArguments {
    @Option(help: "Generator: a stylegan2-ada-pytorch .pkl or a converted .safetensors (default: the untrained demo model).")
    var model: String?

    @Option(help: "Stop the synthesis network early and paint at this size (a power of two from 16 to the model's resolution): fewer blocks run, knobs of the others are hidden.")
    var renderSize: Int?

    /// The chosen model's weights (the cached default model when none is given), at `--render-size`.
    func load() throws -> GeneratorWeights {
        let weights = try ModelFile.load(path: model)
        guard let renderSize else { return weights }
        do { return try weights.rendered(at: renderSize) } catch { throw UsageError("--render-size: \(error)") }
    }
}
