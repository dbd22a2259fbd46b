import Foundation
import LinearAlgebra

/// The live readout: the balanced orthogonal-Procrustes correlation over the last W seconds of causal
/// audio features and of the video features of the frames actually shown, concatenated and per audio
/// feature.
///
/// The frame loop calls `push` (a copy into preallocated rings under a short lock, no allocation); a
/// worker calls `update` every few frames, which snapshots the window and does the linear algebra.
public final class RollingCorrelator: @unchecked Sendable {
    public struct Result: Sendable {
        public let frames: Int
        public let concatenated: Double
        /// Per audio block, against all video features.
        public let perAudioFeature: [(name: String, value: Double)]
    }

    public let capacity: Int
    public let audioBlocks: [(name: String, columns: Range<Int>)]
    public let videoBlocks: [(name: String, columns: Range<Int>)]
    public let audioWidth: Int, videoWidth: Int
    private var audioRing: [Float], videoRing: [Float]
    private var writeIndex = 0, stored = 0
    private let lock = NSLock()

    /// - Parameters:
    ///   - window: frames kept (W seconds × fps).
    ///   - audioBlocks, videoBlocks: named column ranges of the rows that will be pushed.
    public init(window: Int, audioBlocks: [(name: String, columns: Range<Int>)], videoBlocks: [(name: String, columns: Range<Int>)]) {
        capacity = max(2, window)
        self.audioBlocks = audioBlocks; self.videoBlocks = videoBlocks
        audioWidth = audioBlocks.map(\.columns.upperBound).max() ?? 0
        videoWidth = videoBlocks.map(\.columns.upperBound).max() ?? 0
        audioRing = [Float](repeating: 0, count: capacity * audioWidth)
        videoRing = [Float](repeating: 0, count: capacity * videoWidth)
    }

    /// Adds one frame's rows (audioWidth and videoWidth values). Allocation-free.
    public func push(audio: UnsafePointer<Float>, video: UnsafePointer<Float>) {
        lock.lock()
        // `$0.count`, not the array's: reading the array while its buffer is borrowed for writing is an
        // overlapping access (ThreadSanitizer's debug build traps on it).
        audioRing.withUnsafeMutableBufferPointer { ($0.count > 0 ? $0.baseAddress! + writeIndex * audioWidth : $0.baseAddress!).update(from: audio, count: audioWidth) }
        videoRing.withUnsafeMutableBufferPointer { ($0.count > 0 ? $0.baseAddress! + writeIndex * videoWidth : $0.baseAddress!).update(from: video, count: videoWidth) }
        writeIndex = (writeIndex + 1) % capacity
        stored = min(stored + 1, capacity)
        lock.unlock()
    }

    public func reset() {
        lock.lock(); writeIndex = 0; stored = 0; lock.unlock()
    }

    /// The correlation over the frames in the window (oldest first). Run it off the frame loop.
    public func update() throws -> Result {
        lock.lock()
        let frames = stored, start = (writeIndex - stored + capacity) % capacity
        var audio = [Double](repeating: 0, count: frames * audioWidth), video = [Double](repeating: 0, count: frames * videoWidth)
        for k in 0..<frames {
            let slot = (start + k) % capacity
            for c in 0..<audioWidth { audio[k * audioWidth + c] = Double(audioRing[slot * audioWidth + c]) }
            for c in 0..<videoWidth { video[k * videoWidth + c] = Double(videoRing[slot * videoWidth + c]) }
        }
        lock.unlock()
        guard frames >= 2 else { return Result(frames: frames, concatenated: 0, perAudioFeature: []) }
        let a = FeatureMatrix(rows: frames, cols: audioWidth, values: audio, blocks: audioBlocks)
        let v = FeatureMatrix(rows: frames, cols: videoWidth, values: video, blocks: videoBlocks)
        guard a.values.allSatisfy(\.isFinite), v.values.allSatisfy(\.isFinite) else {
            throw CorrelationError(message: "the rolling window contains NaN or infinity")
        }
        // Balanced OP, sharing the work: one product M = Aᵀ·V of the centred, block-balanced matrices
        // (V normalised). The concatenated value is ‖M‖* / ‖A‖; a block's value is ‖its rows of M‖*, since
        // the block alone already has unit norm.
        let ab = a.centred().blockBalanced(), vb = v.centred().blockBalanced()
        let na = ab.frobeniusNorm, nv = vb.frobeniusNorm
        guard na > 1e-12, nv > 1e-12 else {
            return Result(frames: frames, concatenated: 0, perAudioFeature: audioBlocks.map { ($0.name, 0) })
        }
        let m = ab.transposeTimes(vb.scaled(1 / nv))
        let whole = try SVD.singularValues(m, rows: audioWidth, cols: videoWidth).reduce(0, +) / na
        var per = [(name: String, value: Double)]()
        for block in audioBlocks {
            let rows = Array(m[(block.columns.lowerBound * videoWidth)..<(block.columns.upperBound * videoWidth)])
            let value = rows.allSatisfy { $0 == 0 } ? 0 : try SVD.singularValues(rows, rows: block.columns.count, cols: videoWidth).reduce(0, +)
            per.append((block.name, min(1, value)))
        }
        return Result(frames: frames, concatenated: min(1, whole), perAudioFeature: per)
    }
}
