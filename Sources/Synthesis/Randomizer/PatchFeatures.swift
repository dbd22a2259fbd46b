import Basics
import Features
import Foundation

/// The audio features as the Randomizer reads them: each smoothed over time (Gaussian, σ = 2 frames, so
/// single-frame spikes do not make the picture flicker) and min–max normalised to [0, 1] over the song
/// (per feature, across all its dimensions, so the relative weight of a chroma bin survives).
/// Also the song's tempo, which turns bars into frames.
final class PatchFeatures {
    static let smoothingFrames = 2.0
    let set: FeatureSet
    let frames: Int
    /// Beats per minute: the set's global tempo, else the median local tempo, else 120.
    let bpm: Double
    private var prepared: [String: Feature] = [:]

    init(_ set: FeatureSet) {
        self.set = set
        frames = set.frames
        let local = set["tempo"].map { Statistics.median($0.values.map(Double.init)) }
        let candidates = [set.summary["tempo"], local, 120].compactMap { $0 }
        bpm = candidates.first { $0.isFinite && $0 > 0 }!
    }

    /// Frames per `bars` bars of four beats.
    func framesPer(bars: Int) -> Double { max(1, Double(bars) * 4 * 60 / bpm * set.fps) }

    /// A feature smoothed and normalised; throws when the set lacks it. `usedBy` names the patch field.
    func feature(_ name: String, usedBy field: String) throws -> Feature {
        if let f = prepared[name] { return f }
        guard let raw = set[name] else {
            throw UsageError("the patch's \(field) uses feature \"\(name)\", which this feature set lacks "
                             + "(it has: \(set.features.map(\.name).joined(separator: ", ")))")
        }
        var values = raw.values
        for c in 0..<raw.dims { Self.gaussianSmooth(&values, offset: c, stride: raw.dims, count: frames, sigma: Self.smoothingFrames) }
        let f = Feature(name: name, dims: raw.dims, values: Statistics.minMaxNormalized(values))
        prepared[name] = f
        return f
    }

    /// A univariate feature (a modulator), one value per frame in [0, 1].
    func univariate(_ name: String, usedBy field: String) throws -> [Float] {
        let f = try feature(name, usedBy: field)
        guard f.dims == 1 else { throw UsageError("the patch's \(field) needs a one-dimensional feature; \"\(name)\" has \(f.dims) dimensions") }
        return f.values
    }

    /// Per frame, weights over `count` latents that sum to 1: the feature normalised per frame (the
    /// thesis's feature-weighted average), or (1 − f, f) for a 1-D feature (a lerp between two).
    func weights(_ name: String, usedBy field: String) throws -> (values: [Float], count: Int) {
        let f = try feature(name, usedBy: field)
        if f.dims == 1 {
            var w = [Float](repeating: 0, count: frames * 2)
            for k in 0..<frames { w[2 * k] = 1 - f.values[k]; w[2 * k + 1] = f.values[k] }
            return (w, 2)
        }
        var w = f.values
        for k in 0..<frames {
            let row = k * f.dims
            let total = (0..<f.dims).reduce(Float(0)) { $0 + w[row + $1] }
            for i in 0..<f.dims { w[row + i] = total > 1e-9 ? w[row + i] / total : 1 / Float(f.dims) }
        }
        return (w, f.dims)
    }

    /// The blend factor of a noise blend: the feature's per-frame mean over its dimensions, rescaled to [0, 1].
    func blendFactor(_ name: String, usedBy field: String) throws -> [Float] {
        let f = try feature(name, usedBy: field)
        let means = (0..<frames).map { k in (0..<f.dims).reduce(Float(0)) { $0 + f.values[k * f.dims + $1] } / Float(f.dims) }
        return Statistics.minMaxNormalized(means)
    }

    private var segmentationCache: [String: [Int: [Int]]] = [:]

    /// Per frame, weights over k sections: a Laplacian segmentation of the feature into k sections
    /// (one-hot labels), each indicator smoothed with a Gaussian of `sigma` frames so that transitions
    /// crossfade (the smoothed indicators still sum to 1 per frame).
    ///
    /// We segment the sub-sequence's own feature, as the thesis does, rather than read the offline set's
    /// precomputed "segments" columns (those segment the mel spectrum, for k ∈ {2,4,6,8,12,16} only),
    /// so any k in 2…16 and any feature work. Sections are snapped to a beat grid at the song's tempo.
    func sectionWeights(_ name: String, k: Int, sigma: Double, usedBy field: String) throws -> (values: [Float], count: Int) {
        let labels = try segmentation(name, k: k, usedBy: field)
        let count = (labels.max() ?? 0) + 1
        var w = [Float](repeating: 0, count: frames * count)
        for t in 0..<frames { w[t * count + labels[t]] = 1 }
        for c in 0..<count { Self.gaussianSmooth(&w, offset: c, stride: count, count: frames, sigma: sigma) }
        return (w, count)
    }

    /// Segments a feature for several k at once: Segmentation shares one eigen-decomposition across
    /// counts, so the Randomizer asks for all of a feature's k's before rendering.
    func prepareSegmentations(_ name: String, counts: [Int], usedBy field: String) throws {
        let missing = Set(counts).subtracting(segmentationCache[name]?.keys.map { $0 } ?? [])
        guard !missing.isEmpty else { return }
        let f = try feature(name, usedBy: field)
        let ks = missing.sorted()
        let beatFrames = 60 / bpm * set.fps
        let beats = stride(from: beatFrames, to: Double(frames), by: max(1, beatFrames)).map { Int($0.rounded()) }
        let labels = try Segmentation.labels(spectrum: f.values, spectrumDims: f.dims, mfcc: f.values, mfccDims: f.dims,
                                             frames: frames, beats: beats, counts: ks)
        for (k, l) in zip(ks, labels) { segmentationCache[name, default: [:]][k] = l }
    }

    private func segmentation(_ name: String, k: Int, usedBy field: String) throws -> [Int] {
        try prepareSegmentations(name, counts: [k], usedBy: field)
        return segmentationCache[name]![k]!
    }

    /// In-place Gaussian smoothing of one strided column, edges reflected (so levels at the song's ends
    /// are not pulled towards zero).
    static func gaussianSmooth(_ x: inout [Float], offset: Int, stride: Int, count n: Int, sigma: Double) {
        guard sigma > 0, n > 1 else { return }
        let radius = max(1, Int(ceil(4 * sigma)))
        let kernel = (-radius...radius).map { exp(-0.5 * Double($0 * $0) / (sigma * sigma)) }
        let total = kernel.reduce(0, +)
        let column = (0..<n).map { Double(x[offset + $0 * stride]) }
        func reflect(_ i: Int) -> Int {
            var j = i
            while j < 0 || j >= n { j = j < 0 ? -j - 1 : 2 * n - j - 1 }
            return j
        }
        for t in 0..<n {
            var s = 0.0
            for (o, g) in kernel.enumerated() { s += g * column[reflect(t + o - radius)] }
            x[offset + t * stride] = Float(s / total)
        }
    }
}
