import ArgumentParser
import Basics
import StyleGAN

/// `--config NAME` or `--size N` (with `--channel-base`, `--channel-max`): the shape of a randomly
/// initialised generator, shared by `model init` and `bench render`.
struct ModelShapeOption: ParsableArguments {
    @Option(help: "A named shape: default, paper256, paper512 or stylegan2-1024 (stylegan2-ada-pytorch's configurations).")
    var config: String?

    @Option(help: "Or any resolution (a power of two, 4–1024), with --channel-base and --channel-max.")
    var size: Int?

    @Option(help: "With --size: channel_base.")
    var channelBase = 8192

    @Option(help: "With --size: channel_max.")
    var channelMax = 512

    /// The shape asked for, or nil when neither --config nor --size was given.
    func architecture() throws -> GeneratorArchitecture? {
        if let config {
            guard size == nil else { throw UsageError("give --config or --size, not both") }
            guard let shape = ModelShape(rawValue: config) else { throw UsageError("--config \(config): not one of \(ModelShape.names)") }
            return shape.architecture
        }
        guard let size else { return nil }
        let a = GeneratorArchitecture(imgResolution: size, channelBase: channelBase, channelMax: channelMax)
        do { try a.validate() } catch { throw UsageError("--size: \(error)") }
        return a
    }

    /// The name to show: the config's, or the numbers.
    var name: String { config ?? size.map { "\($0) px, channel_base \(channelBase), channel_max \(channelMax)" } ?? "model" }
}
