import Basics
import StyleGAN

/// The whole latent sequence of a patch, per frame and layer group (frames × 3 × wDim): precomputed, as
/// in the thesis, since it is small (a five-minute song at 24 fps and wDim 512 is 44 MB) and each
/// sub-sequence needs the whole song anyway (smoothing, segmentation).
struct PatchLatentTrack {
    let frames: Int
    let wDim: Int
    /// frames × groups × wDim, frame-major.
    private(set) var values: [Float]

    init(patch: Patch, features: PatchFeatures, latents: SeedLatents) throws {
        frames = features.frames
        wDim = latents.wDim
        let groups = LayerGroup.allCases.count
        values = [Float](repeating: 0, count: frames * groups * wDim)
        var s = [Float](repeating: 0, count: wDim)

        // The base: a closed spline through the palette latents, spaced evenly over the song.
        let base = latents.matrix(patch.base.latentSeeds, count: patch.base.latentSeeds.count)
        for k in 0..<frames {
            ClosedSpline.evaluate(points: base, count: patch.base.latentSeeds.count, dims: wDim,
                                  phase: Double(k) / Double(frames), into: &s)
            for g in 0..<groups { values.replaceSubrange(row(k, g), with: s) }
        }

        for (i, sub) in patch.latents.enumerated() {
            let field = "latents[\(i)]"
            let modulator = try sub.merge == .modulate ? features.univariate(sub.modulator ?? "", usedBy: "\(field).modulator") : nil
            let groupIndices = sub.depth.groups.map(\.index)
            let render = try Self.renderer(sub, field: field, features: features, latents: latents)
            for k in 0..<frames {
                render(k, &s)
                let m = modulator?[k] ?? 0.5   // average is modulation by one half
                for g in groupIndices {
                    let start = (k * groups + g) * wDim
                    for j in 0..<wDim { values[start + j] = values[start + j] * (1 - m) + s[j] * m }
                }
            }
        }
    }

    private func row(_ k: Int, _ g: Int) -> Range<Int> {
        let start = (k * LayerGroup.allCases.count + g) * wDim
        return start..<(start + wDim)
    }

    /// A function writing the sub-sequence's latent at frame k.
    private static func renderer(_ sub: LatentSubsequence, field: String, features: PatchFeatures,
                                 latents: SeedLatents) throws -> (Int, inout [Float]) -> Void {
        let wDim = latents.wDim
        let weighted: (values: [Float], count: Int)
        switch sub.strategy {
        case .loop:
            let period = features.framesPer(bars: sub.bars ?? 4)
            let points = latents.matrix(sub.latentSeeds, count: sub.latentSeeds.count)
            let count = sub.latentSeeds.count
            return { k, out in ClosedSpline.evaluate(points: points, count: count, dims: wDim, phase: Double(k) / period, into: &out) }
        case .feature:
            weighted = try features.weights(sub.feature ?? "", usedBy: "\(field).feature")
        case .segmentation:
            let sigma = (sub.transitionSeconds ?? 0) * features.set.fps
            weighted = try features.sectionWeights(sub.feature ?? "", k: sub.segments ?? 2, sigma: sigma, usedBy: "\(field).feature")
        }
        // Latent i of the weighted average uses seed i, cycling when the patch lists fewer seeds.
        let points = latents.matrix(sub.latentSeeds, count: weighted.count)
        let n = weighted.count
        return { k, out in
            for j in 0..<wDim { out[j] = 0 }
            for i in 0..<n {
                let g = weighted.values[k * n + i]
                guard g != 0 else { continue }
                let p = i * wDim
                for j in 0..<wDim { out[j] += g * points[p + j] }
            }
        }
    }
}

/// w-space latents of seeded z's, mapped once per seed.
final class SeedLatents {
    let generator: Generator
    let psi: Float
    let wDim: Int
    private var cache: [UInt64: [Float]] = [:]

    init(generator: Generator, psi: Float) {
        self.generator = generator
        self.psi = psi
        wDim = generator.architecture.wDim
    }

    /// The w of seed's z (z ~ N(0, I) from SeededRandom(seed)), with truncation ψ.
    func latent(_ seed: UInt64) -> [Float] {
        if let w = cache[seed] { return w }
        var rng = SeededRandom(seed: seed)
        let z = (0..<generator.architecture.zDim).map { _ in Float(rng.normal()) }
        let w = Array(generator.map(z: z, psi: psi).prefix(wDim))
        cache[seed] = w
        return w
    }

    /// `count` latents (count × wDim, row-major), seed i mod seeds.count for row i.
    func matrix(_ seeds: [UInt64], count: Int) -> [Float] {
        var out = [Float]()
        out.reserveCapacity(count * wDim)
        for i in 0..<count { out += latent(seeds[i % seeds.count]) }
        return out
    }
}
