import AudioIn
import Basics
import Features
import Foundation
import Synthesis

/// One song as the synthesizers see it: its audio, and its causal feature rows at the video frame rate
/// (the set the live engine computes, so offline and stage agree).
struct SongAnalysis {
    let clip: AudioClip
    let fps: Double
    let causal: FeatureSet
    let rows: [Float]
    var frames: Int { causal.frames }

    init(path: String, fps: Double, seconds: Double? = nil, quiet: Bool) throws {
        var clip = try AudioFile.read(path: path)
        if let seconds { clip = clip.slice(frames: 0..<min(clip.frameCount, Int(seconds * clip.sampleRate))) }
        try self.init(clip: clip, fps: fps, label: (path as NSString).lastPathComponent, quiet: quiet)
    }

    init(clip: AudioClip, fps: Double, label: String, quiet: Bool) throws {
        self.clip = clip
        self.fps = fps
        let progress = Progress("listening to \(label)", total: 1, enabled: !quiet)
        var rows = [Float]()
        let set = try CausalExtractor.extractAll(mono: clip.mono(), sampleRate: clip.sampleRate, fps: fps) { progress.update($0) }
        progress.finish()
        for k in 0..<set.frames { for f in set.features { rows.append(contentsOf: f.frame(k)) } }
        guard set.frames >= 2 else { throw UsageError("\(label) is too short: it makes \(set.frames) video frame(s)") }
        causal = set
        self.rows = rows
    }

    /// The song's own z-scoring (HiPPO optimises one song: its own statistics are the right ones).
    var ownStatistics: FeatureStatistics { FeatureStatistics(rows: [rows], width: CausalLayout.width) }

    func target(weights: [String: Double] = [:], statistics: FeatureStatistics? = nil) -> AudioTarget {
        let z = (statistics ?? ownStatistics).apply(rows)
        return z.withUnsafeBufferPointer { AudioTarget(rows: $0.baseAddress!, frames: frames, layout: CausalLayout.layout, weights: weights) }
    }
}
