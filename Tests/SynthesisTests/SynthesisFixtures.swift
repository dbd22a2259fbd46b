import Basics
import StyleGAN
import Synthesis

/// Small generators and decoders shared by the synthesis tests: a 32 px model has the four noise
/// resolutions (4, 8, 16, 32) the standard decoder layout drives.
enum SynthesisFixtures {
    static let generator32: Generator = {
        let a = GeneratorArchitecture(zDim: 16, wDim: 16, imgResolution: 32, channelBase: 64, channelMax: 16, mappingLayers: 2)
        return try! Generator(weights: DefaultModel.make(seed: 5, architecture: a))
    }()

    static func decoder(_ g: Generator = generator32, paletteSeed: UInt64 = 7, noiseSeed: UInt64 = 11, periodFrames: Double = 96,
                        centre: ParameterFreeDecoder.Centre = .running(seconds: 8)) -> ParameterFreeDecoder {
        let palette = Palette(generator: g, size: 3, seed: paletteSeed)
        let noise = NoiseBank(resolutions: g.noiseLayers.map(\.resolution), seed: noiseSeed, periodFrames: periodFrames, sigma: 10)
        return try! ParameterFreeDecoder(generator: g, palette: palette, noise: noise, fps: 24, centre: centre)
    }

    /// frames × count standard-normal values.
    static func randomMatrix(_ rows: Int, _ cols: Int, seed: UInt64, scale: Double = 1) -> [Double] {
        var rng = SeededRandom(seed: seed)
        return (0..<(rows * cols)).map { _ in rng.normal() * scale }
    }
}
