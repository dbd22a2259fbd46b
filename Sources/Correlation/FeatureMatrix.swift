import Features

/// A T × d matrix of features over time (row-major, double precision), split into named blocks
/// (e.g. the 12 chroma columns are one block): what the matrix correlations compare.
public struct FeatureMatrix: Sendable {
    public let rows: Int
    public let cols: Int
    public var values: [Double]
    /// Named column ranges, in order, covering all columns.
    public let blocks: [(name: String, columns: Range<Int>)]

    public init(rows: Int, cols: Int, values: [Double], blocks: [(name: String, columns: Range<Int>)]? = nil) {
        precondition(values.count == rows * cols)
        self.rows = rows; self.cols = cols; self.values = values
        self.blocks = blocks ?? [("all", 0..<cols)]
    }

    /// The features of a set, the first `frames` frames, side by side (`names` in order; all when nil).
    public init(_ set: FeatureSet, names: [String]? = nil, frames: Int? = nil) {
        let chosen = (names ?? set.features.map(\.name)).compactMap { set[$0] }
        let t = min(frames ?? set.frames, set.frames)
        var blocks = [(name: String, columns: Range<Int>)]()
        var c = 0
        for f in chosen { blocks.append((f.name, c..<(c + f.dims))); c += f.dims }
        var values = [Double](repeating: 0, count: t * c)
        for (f, block) in zip(chosen, blocks) {
            for k in 0..<t { for d in 0..<f.dims { values[k * c + block.columns.lowerBound + d] = Double(f.values[k * f.dims + d]) } }
        }
        self.init(rows: t, cols: c, values: values, blocks: blocks)
    }

    /// One block on its own.
    public func block(_ name: String) -> FeatureMatrix? {
        guard let b = blocks.first(where: { $0.name == name }) else { return nil }
        var v = [Double](repeating: 0, count: rows * b.columns.count)
        for t in 0..<rows { for (j, c) in b.columns.enumerated() { v[t * b.columns.count + j] = values[t * cols + c] } }
        return FeatureMatrix(rows: rows, cols: b.columns.count, values: v, blocks: [(name, 0..<b.columns.count)])
    }

    /// Every column minus its mean over time.
    public func centred() -> FeatureMatrix {
        var out = self
        guard rows > 0 else { return out }
        for c in 0..<cols {
            var mean = 0.0
            for t in 0..<rows { mean += values[t * cols + c] }
            mean /= Double(rows)
            for t in 0..<rows { out.values[t * cols + c] -= mean }
        }
        return out
    }

    public var frobeniusNorm: Double { values.reduce(0) { $0 + $1 * $1 }.squareRoot() }

    func scaled(_ s: Double) -> FeatureMatrix {
        FeatureMatrix(rows: rows, cols: cols, values: values.map { $0 * s }, blocks: blocks)
    }

    /// Each block scaled to unit Frobenius norm (blocks without variance stay zero).
    func blockBalanced() -> FeatureMatrix {
        var out = self
        for b in blocks {
            var sum = 0.0
            for t in 0..<rows { for c in b.columns { sum += values[t * cols + c] * values[t * cols + c] } }
            let norm = sum.squareRoot()
            guard norm > 0 else { continue }
            for t in 0..<rows { for c in b.columns { out.values[t * cols + c] /= norm } }
        }
        return out
    }

    /// Aᵀ·B (cols × other.cols), both with the same rows.
    func transposeTimes(_ other: FeatureMatrix) -> [Double] {
        var out = [Double](repeating: 0, count: cols * other.cols)
        for t in 0..<rows {
            for i in 0..<cols {
                let a = values[t * cols + i]
                if a == 0 { continue }
                for j in 0..<other.cols { out[i * other.cols + j] += a * other.values[t * other.cols + j] }
            }
        }
        return out
    }
}
