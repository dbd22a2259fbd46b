/// A filterbank (bands × bins) stored as one contiguous run of non-negligible weights per band,
/// which is what mel and chroma-like filters look like; applying it costs only those weights.
public struct SparseFilterbank {
    public let bands: Int
    public let bins: Int
    let starts: [Int]
    let lengths: [Int]
    let offsets: [Int]
    let weights: [Float]

    /// Builds from a dense matrix (row per band), dropping leading and trailing zeros of each row.
    public init(dense: [[Float]]) {
        bands = dense.count
        bins = dense.first?.count ?? 0
        var starts = [Int](), lengths = [Int](), offsets = [Int](), weights = [Float]()
        for row in dense {
            let first = row.firstIndex { $0 != 0 } ?? 0
            let last = row.lastIndex { $0 != 0 } ?? -1
            starts.append(first)
            lengths.append(max(0, last - first + 1))
            offsets.append(weights.count)
            if last >= first { weights.append(contentsOf: row[first...last]) }
        }
        self.starts = starts; self.lengths = lengths; self.offsets = offsets; self.weights = weights
    }

    /// out[b] = Σ_k W[b,k] · spectrum[k]
    @inline(__always)
    public func apply(_ spectrum: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        weights.withUnsafeBufferPointer { w in
            for b in 0..<bands {
                var acc: Float = 0
                let s = starts[b], o = offsets[b]
                for j in 0..<lengths[b] { acc += w[o + j] * spectrum[s + j] }
                out[b] = acc
            }
        }
    }

    /// The dense weight of band `b` at bin `k` (for tests and plots).
    public func weight(band b: Int, bin k: Int) -> Float {
        let j = k - starts[b]
        return j >= 0 && j < lengths[b] ? weights[offsets[b] + j] : 0
    }
}
