/// The shape of a stylegan2-ada-pytorch generator: everything needed to know which tensors it has
/// and how to run them. Read from a pickle's stored init arguments, or from our safetensors metadata.
public struct GeneratorArchitecture: Codable, Equatable, Sendable {
    public var zDim: Int
    public var wDim: Int
    public var cDim: Int
    public var imgResolution: Int
    public var imgChannels: Int
    public var channelBase: Int
    public var channelMax: Int
    public var mappingLayers: Int
    public var mappingLrMultiplier: Float
    /// Clamp of conv outputs (256 in most trained configs); nil when off.
    public var convClamp: Float?
    /// Only 'skip' (the StyleGAN2 default generator) is supported.
    public var architecture: String

    public init(zDim: Int = 512, wDim: Int = 512, cDim: Int = 0, imgResolution: Int, imgChannels: Int = 3,
                channelBase: Int = 32768, channelMax: Int = 512, mappingLayers: Int = 8,
                mappingLrMultiplier: Float = 0.01, convClamp: Float? = 256, architecture: String = "skip") {
        self.zDim = zDim; self.wDim = wDim; self.cDim = cDim; self.imgResolution = imgResolution
        self.imgChannels = imgChannels; self.channelBase = channelBase; self.channelMax = channelMax
        self.mappingLayers = mappingLayers; self.mappingLrMultiplier = mappingLrMultiplier
        self.convClamp = convClamp; self.architecture = architecture
    }

    /// 4, 8, …, imgResolution.
    public var blockResolutions: [Int] {
        var r = [Int](), x = 4
        while x <= imgResolution { r.append(x); x *= 2 }
        return r
    }

    public func channels(at resolution: Int) -> Int { min(channelBase / resolution, channelMax) }

    /// 2 · log2(R) − 2 (R = 128 → 12, R = 1024 → 18).
    public var numWs: Int { 2 * (imgResolution.trailingZeroBitCount - 1) }

    /// Width of the mapping network's hidden layers (stylegan2-ada-pytorch: w_dim).
    public var mappingLayerFeatures: Int { wDim }
    /// Label embedding width for conditional models (0 when unconditional).
    public var embedFeatures: Int { cDim > 0 ? wDim : 0 }

    /// Checks that the numbers describe a generator this implementation can run.
    public func validate() throws {
        func fail(_ why: String) -> ArchitectureError { ArchitectureError(message: why) }
        guard imgResolution >= 4, imgResolution <= 1024, imgResolution & (imgResolution - 1) == 0 else {
            throw fail("img_resolution \(imgResolution) is not a power of two between 4 and 1024")
        }
        guard (1...4096).contains(zDim), (1...4096).contains(wDim), (0...100_000).contains(cDim) else {
            throw fail("z_dim \(zDim), w_dim \(wDim) or c_dim \(cDim) is out of range")
        }
        guard (1...4).contains(imgChannels) else { throw fail("img_channels \(imgChannels) is not 1–4") }
        guard channelBase > 0, channelMax > 0, channelMax <= 4096, channels(at: imgResolution) >= 1 else {
            throw fail("channel_base \(channelBase) / channel_max \(channelMax) give no channels at \(imgResolution) px")
        }
        guard (1...32).contains(mappingLayers) else { throw fail("mapping num_layers \(mappingLayers) is not 1–32") }
        guard mappingLrMultiplier.isFinite, mappingLrMultiplier > 0 else { throw fail("mapping lr_multiplier must be positive") }
        if let c = convClamp, !(c.isFinite && c > 0) { throw fail("conv_clamp must be positive") }
        guard architecture == "skip" else {
            throw fail("architecture '\(architecture)' is not supported (only the StyleGAN2 default 'skip')")
        }
    }

    /// Every tensor of the generator (parameters and buffers), with its shape, in a stable order.
    /// Names follow stylegan2-ada-pytorch's state_dict (`mapping.fc0.weight`, `synthesis.b8.conv0.affine.bias`, …).
    public func expectedTensors() -> [(name: String, shape: [Int])] {
        var out = [(String, [Int])]()
        if cDim > 0 {
            out.append(("mapping.embed.weight", [embedFeatures, cDim]))
            out.append(("mapping.embed.bias", [embedFeatures]))
        }
        var features = zDim + embedFeatures
        for i in 0..<mappingLayers {
            let outFeatures = i == mappingLayers - 1 ? wDim : mappingLayerFeatures
            out.append(("mapping.fc\(i).weight", [outFeatures, features]))
            out.append(("mapping.fc\(i).bias", [outFeatures]))
            features = outFeatures
        }
        out.append(("mapping.w_avg", [wDim]))
        for r in blockResolutions {
            let b = "synthesis.b\(r)"
            let cOut = channels(at: r)
            if r == 4 {
                out.append(("\(b).const", [cOut, 4, 4]))
            } else {
                out.append(contentsOf: layer("\(b).conv0", cIn: channels(at: r / 2), cOut: cOut, resolution: r, up: true))
            }
            out.append(contentsOf: layer("\(b).conv1", cIn: cOut, cOut: cOut, resolution: r, up: false))
            out.append(("\(b).torgb.weight", [imgChannels, cOut, 1, 1]))
            out.append(("\(b).torgb.bias", [imgChannels]))
            out.append(("\(b).torgb.affine.weight", [cOut, wDim]))
            out.append(("\(b).torgb.affine.bias", [cOut]))
            if r > 4 { out.append(("\(b).resample_filter", [4, 4])) }
        }
        return out
    }

    private func layer(_ p: String, cIn: Int, cOut: Int, resolution r: Int, up: Bool) -> [(String, [Int])] {
        var t: [(String, [Int])] = [
            ("\(p).weight", [cOut, cIn, 3, 3]), ("\(p).bias", [cOut]),
            ("\(p).noise_strength", []), ("\(p).noise_const", [r, r]),
            ("\(p).affine.weight", [cIn, wDim]), ("\(p).affine.bias", [cIn]),
        ]
        if up { t.append(("\(p).resample_filter", [4, 4])) }
        return t
    }
}

public struct ArchitectureError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// A generator's architecture with its tensors (float32 in memory), and where it came from.
public struct GeneratorWeights: Sendable {
    public var architecture: GeneratorArchitecture
    public var tensors: [String: Tensor]
    /// Shown wherever a user sees the model: e.g. "untrained demo model (seed 1)" or the pickle's file name.
    public var label: String
    /// True for the seeded random default model: the HUD and docs must say it is untrained.
    public var untrained: Bool
    /// The resolution of the model these weights came from: more than `architecture.imgResolution` when
    /// it renders at a smaller size (`rendered(at:)`).
    public var modelResolution: Int

    public init(architecture: GeneratorArchitecture, tensors: [String: Tensor], label: String, untrained: Bool = false) {
        self.architecture = architecture; self.tensors = tensors; self.label = label; self.untrained = untrained
        modelResolution = architecture.imgResolution
    }

    /// Every expected tensor is present with the expected shape, all values finite; nothing extra.
    public func validate(source: String) throws {
        try architecture.validate()
        let expected = architecture.expectedTensors()
        for (name, shape) in expected {
            guard let t = tensors[name] else { throw ArchitectureError(message: "\(source): tensor \(name) is missing") }
            guard t.shape == shape else {
                throw ArchitectureError(message: "\(source): tensor \(name) has shape \(t.shape), expected \(shape) for this architecture")
            }
            guard t.values.allSatisfy(\.isFinite) else { throw ArchitectureError(message: "\(source): tensor \(name) contains NaN or infinity") }
        }
        let names = Set(expected.map(\.name))
        if let extra = tensors.keys.sorted().first(where: { !names.contains($0) }) {
            throw ArchitectureError(message: "\(source): unexpected tensor \(extra) for this architecture")
        }
    }
}
