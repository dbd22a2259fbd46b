import Features

/// Per-column mean and standard deviation of causal feature rows: the z-scoring the envelope network
/// was trained with travels in its file, so the stage sees features scaled exactly as in training.
public struct FeatureStatistics: Codable, Equatable, Sendable {
    public var mean: [Double]
    public var std: [Double]

    /// Over every frame of every sequence (rows: frames × width each).
    public init(rows: [[Float]], width: Int) {
        var sum = [Double](repeating: 0, count: width), squares = sum
        var count = 0
        for r in rows {
            let frames = r.count / width
            for t in 0..<frames { for c in 0..<width { let v = Double(r[t * width + c]); sum[c] += v; squares[c] += v * v } }
            count += frames
        }
        let n = Double(max(count, 1))
        mean = sum.map { $0 / n }
        // A floor keeps a constant column (silence in every file) from dividing by zero.
        std = zip(squares, mean).map { max(($0 / n - $1 * $1).squareRoot(), 1e-6) }
    }

    public init(mean: [Double], std: [Double]) { self.mean = mean; self.std = std }

    /// frames × width z-scored values.
    public func apply(_ rows: [Float]) -> [Double] {
        let width = mean.count
        var out = [Double](repeating: 0, count: rows.count)
        for i in 0..<rows.count { let c = i % width; out[i] = (Double(rows[i]) - mean[c]) / std[c] }
        return out
    }

    /// One row, into a preallocated buffer (the live path: no allocation).
    public func apply(_ row: UnsafePointer<Float>, into out: UnsafeMutablePointer<Double>) {
        for c in 0..<mean.count { out[c] = (Double(row[c]) - mean[c]) / std[c] }
    }
}
