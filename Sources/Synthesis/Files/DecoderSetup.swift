import StyleGAN

/// Everything that fixes a decoder besides the model: the envelope layout, the palette seeds and the
/// noise loop. HiPPO envelopes were optimised for one palette and one noise take, so their file
/// records this; presets record it for the live engine.
public struct DecoderSetup: Codable, Equatable, Sendable {
    public var layout: DecoderLayout = .standard
    /// Per group (deep, middle, shallow).
    public var paletteSeeds: [UInt64] = Self.paletteSeeds(1)
    public var noiseSeed: UInt64 = 1
    /// Length of the noise loop in seconds (rounded to whole frames).
    public var noiseLoopSeconds: Double = 20
    /// Smoothness of the loop noise (thesis σ: larger is smoother).
    public var noiseSmoothness: Double = 10

    public init() {}

    public static func paletteSeeds(_ seed: UInt64) -> [UInt64] { Palette.seeds(seed) }

    public func noiseBank(generator: Generator, fps: Double) -> NoiseBank {
        NoiseBank(resolutions: generator.noiseLayers.map(\.resolution), seed: noiseSeed,
                  periodFrames: max(1, (noiseLoopSeconds * fps).rounded()), sigma: noiseSmoothness)
    }

    public func makeDecoder(generator: Generator, fps: Double,
                            centre: ParameterFreeDecoder.Centre = .running(seconds: 8)) throws -> ParameterFreeDecoder {
        try validate()
        let palette = Palette(generator: generator, size: layout.paletteSize, seeds: paletteSeeds)
        return try ParameterFreeDecoder(generator: generator, layout: layout, palette: palette,
                                        noise: noiseBank(generator: generator, fps: fps), fps: fps, centre: centre)
    }

    public func validate() throws {
        guard (1...64).contains(layout.paletteSize) else { throw DecoderError("palette size \(layout.paletteSize) is outside 1…64") }
        guard !layout.drivenResolutions.isEmpty, layout.drivenResolutions.allSatisfy({ [4, 8, 16, 32, 64, 128].contains($0) }) else {
            throw DecoderError("driven noise resolutions must be among 4, 8, 16, 32, 64, 128")
        }
        guard paletteSeeds.count == 3 else { throw DecoderError("there must be 3 palette seeds (deep, middle, shallow)") }
        guard noiseLoopSeconds.isFinite, noiseLoopSeconds > 0, noiseLoopSeconds <= 3600 else { throw DecoderError("the noise loop must last 0–3600 s") }
        guard noiseSmoothness.isFinite, noiseSmoothness > 0, noiseSmoothness <= 1000 else { throw DecoderError("noise smoothness must be in 0–1000") }
    }
}
