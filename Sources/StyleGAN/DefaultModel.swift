import Basics
import Foundation

/// The model LatentVJ runs when the user has none: a seeded, randomly initialised 128 px generator.
///
/// No pretrained weights can be downloaded, so the engine must run out of the box on an untrained
/// network. Untrained StyleGAN2 generators paint saturated, lava-lamp-like colour fields that still
/// move with their latents and noise. It is labelled untrained wherever a user sees it.
public enum DefaultModel {
    public static let architecture = GeneratorArchitecture(zDim: 512, wDim: 512, imgResolution: 128, channelBase: 4096,
                                                           channelMax: 256, mappingLayers: 8, convClamp: 256)
    public static let defaultSeed: UInt64 = 1
    /// Noise strengths are zero in a freshly initialised official generator; a small non-zero value
    /// makes the noise maps (which the decoder drives) visible.
    public static let noiseStrength: Float = 0.1

    public static func label(seed: UInt64) -> String { "untrained demo model (seed \(seed))" }

    /// Weights drawn as the reference initialiser does: normal weights (mapping weights divided by the
    /// learning-rate multiplier), affine biases 1, other biases 0, normal constant input and noise
    /// buffers. w_avg is the mean w of 1024 random z (the reference keeps a running mean while training).
    public static func make(seed: UInt64 = defaultSeed, architecture a: GeneratorArchitecture = architecture) throws -> GeneratorWeights {
        try a.validate()
        var rng = SeededRandom(seed: 0xD1F0_0000 &+ seed)
        var tensors = [String: Tensor]()
        for (name, shape) in a.expectedTensors() {
            let count = shape.reduce(1, *)
            let values: [Float]
            switch name {
            case _ where name.hasSuffix("resample_filter"):
                values = Resampling.standardFilter
            case _ where name.hasSuffix("affine.bias"):
                values = [Float](repeating: 1, count: count)
            case _ where name.hasSuffix("noise_strength"):
                values = [noiseStrength]
            case "mapping.w_avg":
                values = [Float](repeating: 0, count: count)   // filled in below
            case _ where name.hasSuffix(".bias"):
                values = [Float](repeating: 0, count: count)
            case _ where name.hasPrefix("mapping.fc") && name.hasSuffix(".weight"):
                values = (0..<count).map { _ in Float(rng.normal()) / a.mappingLrMultiplier }
            default:
                values = (0..<count).map { _ in Float(rng.normal()) }
            }
            tensors[name] = Tensor(shape: shape, values: values)
        }
        var weights = GeneratorWeights(architecture: a, tensors: tensors, label: label(seed: seed), untrained: true)
        let generator = try Generator(weights: weights)
        var mean = [Float](repeating: 0, count: a.wDim)
        let samples = 1024
        for _ in 0..<samples {
            let z = (0..<a.zDim).map { _ in Float(rng.normal()) }
            let ws = generator.map(z: z)
            for j in 0..<a.wDim { mean[j] += ws[j] / Float(samples) }
        }
        weights.tensors["mapping.w_avg"] = Tensor(shape: [a.wDim], values: mean)
        return weights
    }

    /// Where the default model is cached: $XDG_CACHE_HOME/latentvj (or ~/.cache/latentvj).
    public static var cacheFolder: String {
        let env = ProcessInfo.processInfo.environment
        let base = env["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (NSHomeDirectory() + "/.cache")
        return base + "/latentvj"
    }

    public static func cachePath(seed: UInt64 = defaultSeed) -> String { cacheFolder + "/default-128-seed\(seed).safetensors" }
}
