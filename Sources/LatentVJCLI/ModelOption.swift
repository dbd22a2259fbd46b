import ArgumentParser
import ModelFiles
import StyleGAN

/// `--model`, shared by every command that runs a generator.
struct ModelOption: ParsableArguments {
    @Option(help: "Generator: a stylegan2-ada-pytorch .pkl or a converted .safetensors (default: the untrained demo model).")
    var model: String?

    /// The chosen model's weights (the cached default model when none is given).
    func load() throws -> GeneratorWeights { try ModelFile.load(path: model) }
}
