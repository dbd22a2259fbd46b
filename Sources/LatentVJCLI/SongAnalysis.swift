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
        let rows = try CausalExtractor.extractRows(mono: clip.mono(), sampleRate: clip.sampleRate, fps: fps) { progress.update($0) }
        progress.finish()
        let set = CausalExtractor.makeSet(rows: rows, sampleRate: clip.sampleRate, fps: fps)
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

extension SongAnalysis {
    /// HiPPO on this song: the loss is on the whole song when `window` is 0 (the thesis), otherwise the
    /// mean over windows of `window` seconds overlapping by half (so the envelopes are judged on what
    /// happens within a few bars, as the study scores them; Docs/synthesizers.md has the measurements).
    func optimizeHiPPO(decoder: ParameterFreeDecoder, coefficients: Int, steps: Int, learningRate: Double, window: Double,
                       weights: [String: Double] = [:], seed: UInt64, startingFrom initial: [Double]? = nil,
                       progress: ((Int, SelfSupervisedLoss.Result) -> Void)? = nil) throws -> HiPPOOptimizer {
        let z = ownStatistics.apply(rows)
        let length = window > 0 ? min(frames, max(8, Int((window * fps).rounded()))) : frames
        var starts = Array(stride(from: 0, through: frames - length, by: max(1, length / 2)))
        if let last = starts.last, last + length < frames { starts.append(frames - length) }
        let parts = starts.map { start -> HiPPOOptimizer.Part in
            let slice = Array(z[(start * CausalLayout.width)..<((start + length) * CausalLayout.width)])
            let target = slice.withUnsafeBufferPointer { AudioTarget(rows: $0.baseAddress!, frames: length, layout: CausalLayout.layout, weights: weights) }
            return HiPPOOptimizer.Part(start: start, target: target, geometry: DecoderGeometry(decoder: decoder, frames: length, startFrame: start))
        }
        let optimizer = HiPPOOptimizer(frames: frames, parts: parts, layout: decoder.layout, coefficients: coefficients, seed: seed)
        if let initial { try optimizer.start(from: initial) }
        optimizer.optimize(steps: steps, learningRate: learningRate, progress: progress)
        return optimizer
    }
}
