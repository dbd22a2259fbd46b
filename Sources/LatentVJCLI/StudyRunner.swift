import Basics
import Correlation
import Features
import Foundation
import StyleGAN
import Synthesis
import VideoFeatures

/// Renders snippets for interpolation groups and scores them: the machinery of `latentvj study`.
struct StudyRunner {
    let generator: Generator
    let fps: Double
    let metrics: [MatrixCorrelation]
    /// Audio features whose pairwise correlations are reported per group (the thesis's Fig. 3.2 panels).
    static let drivingFeatures = ["onsets", "chroma", "rms", "drop_strength"]

    struct Score {
        var concatenated: [MatrixCorrelation: Double] = [:]
        /// Median over video features of the pairwise OP correlations, per driving audio feature.
        var perFeature: [String: Double] = [:]
    }

    /// Renders one snippet with `group` (σ in frames for the random walks) and scores it.
    func score(group: InterpolationGroup, features: FeatureSet, seed: UInt64, sigma: Double? = nil) throws -> Score {
        let sequence = InterpolationSequence(group: group, features: features, generator: generator, seed: seed, sigma: sigma)
        return try score(video: render(sequence, frames: features.frames).video, audio: features)
    }

    /// Renders `frames` frames of a synthesizer and extracts their video features; also returns the
    /// seconds spent producing the generator's inputs (the synthesizer's own inference time).
    func render(_ sequence: FrameSynthesizer, frames: Int, progress: ((Int) -> Void)? = nil) -> (video: FeatureSet, inferenceSeconds: Double) {
        let r = generator.architecture.imgResolution
        let extractor = VideoFeatureExtractor(width: r, height: r, fps: fps)
        let renderer = FrameRenderer(backend: generator)
        var inference = 0.0
        for k in 0..<frames {
            let start = DispatchTime.now().uptimeNanoseconds
            sequence.frame(k, ws: renderer.ws)
            inference += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            renderer.render()
            extractor.append(rgb24: renderer.rgbBuffer)
            progress?(k + 1)
        }
        return (extractor.finish(), inference)
    }

    /// Scores video features against audio features with every metric of the runner.
    func score(video: FeatureSet, audio features: FeatureSet) throws -> Score {
        var score = Score()
        for metric in metrics {
            // PWCCA cannot run on snippets with fewer frames than features: that metric is left out
            // (reported as unavailable), the others go on.
            guard let report = try? AudiovisualReport(audio: features, video: video, metric: metric, pairwise: metric == .procrustes) else {
                if metric == .pwcca { continue }
                _ = try AudiovisualReport(audio: features, video: video, metric: metric, pairwise: false)   // rethrow the real error
                continue
            }
            score.concatenated[metric] = report.concatenated
            if metric == .procrustes {
                for name in Self.drivingFeatures { score.perFeature[name] = report.median(audio: name) }
            }
        }
        return score
    }

    /// `count` snippet windows of `length` frames, spread over the song by a seeded draw.
    static func snippets(frames: Int, length: Int, count: Int, seed: UInt64) -> [Range<Int>] {
        guard frames > length else { return [0..<frames] }
        var rng = SeededRandom(seed: seed)
        return (0..<count).map { _ in
            let start = Int(rng.uniform() * Double(frames - length))
            return start..<(start + length)
        }
    }
}

/// A JSON value for a number that may be missing (NaN: no data) — JSON has no NaN.
func jsonNumber(_ v: Double) -> Any { v.isFinite ? v : NSNull() }

/// Median of the finite values; NaN (no data) when there are none.
func median(_ values: [Double]) -> Double {
    let v = values.filter(\.isFinite)
    return v.isEmpty ? .nan : Statistics.median(v)
}
