import Basics
import Features
import StyleGAN

/// The Randomizer synthesizer (thesis 4.1): renders a patch on a song's offline features. The latent
/// sequence is precomputed in init (small, and its sub-sequences need the whole song); noise is computed
/// per frame, in any order, from the patch's seeds. The same patch and features always give the same
/// frames.
public final class Randomizer: FrameSynthesizer {
    public let patch: Patch
    public let frames: Int
    private let generator: Generator
    private let wDim: Int
    private let latents: PatchLatentTrack
    private let noise: PatchNoise
    /// For each w index, its layer group's index (where its row sits in the latent track).
    private let groupOfW: [Int]
    private let noiseLayerCount: Int
    /// Stored once: `allCases` builds a new array on every call, which the frame loop must not do.
    private static let groupCount = LayerGroup.allCases.count

    /// - Throws: when the patch is invalid, or names a feature the set lacks (or a multi-dimensional
    ///   feature as a modulator).
    public init(patch: Patch, features: FeatureSet, generator: Generator, psi: Float = 1) throws {
        if let p = patch.problem() { throw UsageError("invalid patch: \(p)") }
        guard features.frames > 0 else { throw UsageError("the Randomizer needs at least one frame of features") }
        self.patch = patch
        self.generator = generator
        frames = features.frames
        wDim = generator.architecture.wDim
        let groups = LayerGroups(numWs: generator.numWs, noiseResolutions: generator.noiseLayers.map(\.resolution))
        groupOfW = (0..<generator.numWs).map { groups.group(ofW: $0).index }
        noiseLayerCount = groups.noiseResolutions.count
        let prepared = PatchFeatures(features)
        try Self.prepareSegmentations(patch, features: prepared)
        latents = try PatchLatentTrack(patch: patch, features: prepared,
                                       latents: SeedLatents(generator: generator, psi: psi))
        noise = try PatchNoise(patch: patch, features: prepared, groups: groups)
    }

    /// Writes frame k's ws (numWs × wDim) and fills the generator's custom noise maps. Allocation-free.
    public func frame(_ k: Int, ws: UnsafeMutablePointer<Float>) {
        let t = min(max(k, 0), frames - 1)
        latents.values.withUnsafeBufferPointer { track in
            for (i, g) in groupOfW.enumerated() {
                (ws + i * wDim).update(from: track.baseAddress! + (t * Self.groupCount + g) * wDim, count: wDim)
            }
        }
        for layer in 0..<noiseLayerCount {
            noise.fill(layer: layer, frame: t, into: generator.noiseMap(layer: layer))
        }
    }

    /// One segmentation per feature for all the k's the patch asks of it (they share the eigenvectors).
    private static func prepareSegmentations(_ patch: Patch, features: PatchFeatures) throws {
        var counts: [String: (ks: [Int], field: String)] = [:]
        for (i, sub) in patch.latents.enumerated() where sub.strategy == .segmentation {
            guard let name = sub.feature, let k = sub.segments else { continue }
            counts[name, default: ([], "latents[\(i)].feature")].ks.append(k)
        }
        for name in counts.keys.sorted() {
            try features.prepareSegmentations(name, counts: counts[name]!.ks, usedBy: counts[name]!.field)
        }
    }
}
