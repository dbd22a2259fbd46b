import Basics

/// The noise of a patch, computed lazily frame by frame (thesis 4.1.2: a whole song of noise maps would
/// take hundreds of gigabytes at full size). Each noise layer starts from smooth background noise, then
/// every sub-sequence covering the layer is rendered and merged in, in patch order; the result is
/// rescaled to unit RMS, because averaging independent maps shrinks their spread.
final class PatchNoise {
    /// Per noise layer, the sub-sequences that touch it, in patch order.
    private let stages: [[NoiseStage]]
    private let background: [LoopNoise]
    private let backgroundPeriod: Double
    private let pixels: [Int]
    private let frames: Int
    private let scratch: UnsafeMutablePointer<Float>
    private let fastScratch: UnsafeMutablePointer<Float>

    init(patch: Patch, features: PatchFeatures, groups: LayerGroups) throws {
        let pixels = groups.noiseResolutions.map { $0 * $0 }
        self.pixels = pixels
        frames = features.frames
        let bg = patch.backgroundNoise
        background = pixels.indices.map { LoopNoise(pixels: pixels[$0], seed: PatchNoise.seed(bg.seed, UInt64($0), 0), sigma: bg.sigma) }
        backgroundPeriod = features.framesPer(bars: bg.bars)

        var perLayer = [[NoiseStage]](repeating: [], count: pixels.count)
        for (i, sub) in patch.noise.enumerated() {
            let field = "noise[\(i)]"
            let modulator = try sub.merge == .modulate ? features.univariate(sub.modulator ?? "", usedBy: "\(field).modulator") : nil
            let layers = sub.depth.groups.flatMap { groups.noiseLayers(of: $0) }
            for layer in layers {
                let source = try NoiseStage.source(sub, field: field, layer: layer, pixels: pixels[layer], features: features)
                perLayer[layer].append(NoiseStage(source: source, modulator: modulator))
            }
        }
        stages = perLayer
        let largest = pixels.max() ?? 1
        scratch = .allocate(capacity: largest)
        fastScratch = .allocate(capacity: largest)
    }

    deinit { scratch.deallocate(); fastScratch.deallocate() }

    /// Writes frame k's map of noise layer `layer` (pixels[layer] values). Allocation-free.
    func fill(layer: Int, frame k: Int, into map: UnsafeMutablePointer<Float>) {
        let n = pixels[layer]
        background[layer].fill(phase: Double(k) / backgroundPeriod, into: map)
        for stage in stages[layer] {
            stage.render(frame: k, pixels: n, into: scratch, scratch: fastScratch)
            let m = stage.modulator?[k] ?? 0.5   // average is modulation by one half
            for p in 0..<n { map[p] = map[p] * (1 - m) + scratch[p] * m }
        }
        if !stages[layer].isEmpty { normalizeRMS(map, count: n) }
    }
}

/// One noise sub-sequence on one layer.
private struct NoiseStage {
    enum Source {
        /// count fixed random maps (count × pixels) and per-frame weights (frames × count, summing to 1).
        case feature(maps: [Float], weights: [Float], count: Int)
        case blend(slow: LoopNoise, slowPeriod: Double, fast: LoopNoise, fastPeriod: Double, mix: [Float])
        case loop(LoopNoise, period: Double)
    }
    let source: Source
    let modulator: [Float]?

    static func source(_ sub: NoiseSubsequence, field: String, layer: Int, pixels: Int, features: PatchFeatures) throws -> Source {
        // Each layer gets its own maps, derived from the sub-sequence's seed and the layer index.
        let seed = { (role: UInt64) in PatchNoise.seed(sub.noiseSeed, UInt64(layer), role) }
        switch sub.strategy {
        case .feature:
            let w = try features.weights(sub.feature ?? "", usedBy: "\(field).feature")
            var rng = SeededRandom(seed: seed(1))
            let maps = (0..<(w.count * pixels)).map { _ in Float(rng.normal()) }
            return .feature(maps: maps, weights: w.values, count: w.count)
        case .blend:
            let mix = try features.blendFactor(sub.feature ?? "", usedBy: "\(field).feature")
            return .blend(slow: LoopNoise(pixels: pixels, seed: seed(2), sigma: sub.sigma ?? 40),
                          slowPeriod: features.framesPer(bars: sub.bars ?? 32),
                          fast: LoopNoise(pixels: pixels, seed: seed(3), sigma: sub.fastSigma ?? 4),
                          fastPeriod: features.framesPer(bars: sub.fastBars ?? 2), mix: mix)
        case .loop:
            return .loop(LoopNoise(pixels: pixels, seed: seed(4), sigma: sub.sigma ?? 10),
                         period: features.framesPer(bars: sub.bars ?? 8))
        }
    }

    func render(frame k: Int, pixels n: Int, into out: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        switch source {
        case .feature(let maps, let weights, let count):
            out.update(repeating: 0, count: n)
            maps.withUnsafeBufferPointer { m in
                for i in 0..<count {
                    let g = weights[k * count + i]
                    guard g != 0 else { continue }
                    let map = m.baseAddress! + i * n
                    for p in 0..<n { out[p] += g * map[p] }
                }
            }
            normalizeRMS(out, count: n)
        case .blend(let slow, let slowPeriod, let fast, let fastPeriod, let mix):
            slow.fill(phase: Double(k) / slowPeriod, into: out)
            fast.fill(phase: Double(k) / fastPeriod, into: scratch)
            let f = mix[k]
            for p in 0..<n { out[p] = out[p] * (1 - f) + scratch[p] * f }
            normalizeRMS(out, count: n)
        case .loop(let noise, let period):
            noise.fill(phase: Double(k) / period, into: out)
        }
    }
}

/// Rescales to unit RMS (a blend or average of independent unit maps has less).
private func normalizeRMS(_ x: UnsafeMutablePointer<Float>, count n: Int) {
    var s: Float = 0
    for p in 0..<n { s += x[p] * x[p] }
    guard s > 1e-20 else { return }
    let scale = 1 / (s / Float(n)).squareRoot()
    for p in 0..<n { x[p] *= scale }
}

extension PatchNoise {
    /// A seed for (seed, layer, role), decorrelated by one SplitMix step.
    static func seed(_ seed: UInt64, _ layer: UInt64, _ role: UInt64) -> UInt64 {
        var rng = SeededRandom(seed: seed ^ (layer &* 0xD6E8_FEB8_6659_FD93) ^ (role &* 0xA076_1D64_78BD_642F))
        return rng.next()
    }
}
