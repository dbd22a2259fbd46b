import Features

/// The audio side of the self-supervised loss for one sequence: its feature blocks, each centred over
/// time and scaled to unit Frobenius norm (the balanced variant of the metric, so twenty MFCCs do not
/// outweigh one onset curve). Computed once per training example.
public struct AudioTarget {
    public struct Block {
        public let name: String
        public let dims: Int
        /// frames × dims, row-major, centred, unit norm.
        public let values: [Double]
        public let weight: Double
    }
    public let frames: Int
    public let blocks: [Block]
    /// Weighted mode (thesis Table 5.3): the loss is the weighted mean of per-block correlations.
    /// Otherwise it is the correlation of all blocks side by side.
    public let weighted: Bool

    /// - Parameters:
    ///   - rows: frames × layout.width feature rows.
    ///   - weights: per feature-block weight (others weigh 1); nil or empty: the concatenated loss.
    public init(rows: UnsafePointer<Double>, frames: Int, layout: ColumnLayout, weights: [String: Double]? = nil) {
        self.frames = frames
        weighted = !(weights ?? [:]).isEmpty
        var blocks = [Block]()
        for (name, columns) in layout.blocks {
            let dims = columns.count
            var v = [Double](repeating: 0, count: frames * dims)
            for (j, c) in columns.enumerated() {
                var mean = 0.0
                for t in 0..<frames { mean += rows[t * layout.width + c] }
                mean /= Double(max(frames, 1))
                for t in 0..<frames { v[t * dims + j] = rows[t * layout.width + c] - mean }
            }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            // A block that does not move in this sequence (a steady tempo) carries no signal.
            guard norm > 1e-9 else { continue }
            let weight = weights?[name] ?? 1
            guard weight > 0 else { continue }
            blocks.append(Block(name: name, dims: dims, values: v.map { $0 / norm }, weight: weight))
        }
        self.blocks = blocks
    }

    /// All blocks side by side (each unit norm), frames × width: the matrix the loss works with.
    public func stacked() -> (values: [Double], dims: Int, ranges: [Range<Int>]) {
        let dims = blocks.reduce(0) { $0 + $1.dims }
        var out = [Double](repeating: 0, count: frames * dims)
        var ranges = [Range<Int>](), offset = 0
        for b in blocks {
            for t in 0..<frames { for j in 0..<b.dims { out[t * dims + offset + j] = b.values[t * b.dims + j] } }
            ranges.append(offset..<(offset + b.dims))
            offset += b.dims
        }
        return (out, dims, ranges)
    }

    /// The concatenation of all blocks, normalised to unit norm: the balanced audio matrix.
    public func concatenated() -> (values: [Double], dims: Int) {
        let dims = blocks.reduce(0) { $0 + $1.dims }
        var out = [Double](repeating: 0, count: frames * dims)
        let scale = 1 / Double(max(blocks.count, 1)).squareRoot()
        var offset = 0
        for b in blocks {
            for t in 0..<frames { for j in 0..<b.dims { out[t * dims + offset + j] = b.values[t * b.dims + j] * scale } }
            offset += b.dims
        }
        return (out, dims)
    }
}
