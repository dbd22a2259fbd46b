import Basics
import Features
import Foundation

/// How well a video moves with its music: the concatenated correlation (all audio features against all
/// video features) and every pairwise one, for one matrix correlation.
public struct AudiovisualReport: Sendable {
    public struct Pair: Sendable { public let audio: String; public let video: String; public let value: Double }

    public let metric: MatrixCorrelation
    public let frames: Int
    public let concatenated: Double
    public let pairwise: [Pair]

    /// The audio features of the thesis's study (Table 3.1 without tempo and segment labels).
    public static let audioFeatures = ["onsets", "rms", "drop_strength", "chroma", "tonnetz", "mfcc",
                                       "spectral_contrast", "spectral_flatness", "pulse"]

    /// Compares the first min(audio, video) frames of both sets; features missing from a set are skipped.
    public init(audio: FeatureSet, video: FeatureSet, metric: MatrixCorrelation,
                audioNames: [String] = AudiovisualReport.audioFeatures, videoNames: [String]? = nil, pairwise wantPairs: Bool = true) throws {
        let frames = min(audio.frames, video.frames)
        guard frames >= 2 else { throw CorrelationError(message: "only \(frames) frame(s) to compare: at least 2 are needed") }
        let aNames = audioNames.filter { audio[$0] != nil }
        let vNames = (videoNames ?? video.features.map(\.name)).filter { video[$0] != nil }
        let a = FeatureMatrix(audio, names: aNames, frames: frames), v = FeatureMatrix(video, names: vNames, frames: frames)
        self.metric = metric
        self.frames = frames
        concatenated = try metric.compute(a, v)
        var pairs = [Pair]()
        if wantPairs {
            let aBlocks = aNames.map { a.block($0)! }, vBlocks = vNames.map { v.block($0)! }
            for (an, ab) in zip(aNames, aBlocks) {
                for (vn, vb) in zip(vNames, vBlocks) {
                    // PWCCA cannot run where a block has more dimensions than frames: skip that pair.
                    guard let value = try? metric.compute(ab, vb) else { continue }
                    pairs.append(Pair(audio: an, video: vn, value: value))
                }
            }
        }
        pairwise = pairs
    }

    /// Median over video features of the pairwise correlations of one audio feature.
    public func median(audio name: String) -> Double? {
        let values = pairwise.filter { $0.audio == name }.map(\.value)
        return values.isEmpty ? nil : Statistics.median(values)
    }

    public var audioNames: [String] { pairwise.map(\.audio).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } } }
    public var videoNames: [String] { pairwise.map(\.video).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } } }

    public func value(audio: String, video: String) -> Double? { pairwise.first { $0.audio == audio && $0.video == video }?.value }

    public var json: [String: Any] {
        [
            "metric": metric.rawValue, "frames": frames, "concatenated": concatenated,
            "median_per_audio_feature": Dictionary(uniqueKeysWithValues: audioNames.compactMap { n in median(audio: n).map { (n, $0) } }),
            "pairwise": pairwise.map { ["audio": $0.audio, "video": $0.video, "value": $0.value] },
        ]
    }
}
