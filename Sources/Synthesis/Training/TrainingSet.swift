import Basics
import Features

/// Causal feature rows of many songs cut into training sequences (thesis recipe: 8 s at 24 fps, start
/// offsets of 0, 1, 2 and 3 s), z-scored with the training songs' statistics.
public struct TrainingSet {
    public struct Song {
        public let name: String
        /// frames × CausalLayout.width raw rows.
        public let rows: [Float]
        public init(name: String, rows: [Float]) { self.name = name; self.rows = rows }
        public var frames: Int { rows.count / CausalLayout.width }
    }
    public struct Sequence {
        public let song: Int
        public let start: Int
        /// frames × width z-scored rows.
        public let inputs: [Double]
        public let target: AudioTarget
    }

    public let frames: Int
    public let sequences: [Sequence]

    /// - Parameters:
    ///   - offsets: start offsets in frames (the thesis: 0, 1, 2, 3 s).
    public init(songs: [Song], statistics: FeatureStatistics, frames: Int, offsets: [Int], weights: [String: Double] = [:]) {
        self.frames = frames
        let width = CausalLayout.width
        var out = [Sequence]()
        for (i, song) in songs.enumerated() {
            let z = statistics.apply(song.rows)
            for offset in offsets {
                var start = offset
                while start + frames <= song.frames {
                    let slice = Array(z[(start * width)..<((start + frames) * width)])
                    let target = slice.withUnsafeBufferPointer { AudioTarget(rows: $0.baseAddress!, frames: frames, layout: CausalLayout.layout, weights: weights) }
                    out.append(Sequence(song: i, start: start, inputs: slice, target: target))
                    start += frames
                }
            }
        }
        sequences = out
    }
}
