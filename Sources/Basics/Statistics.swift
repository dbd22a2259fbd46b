/// Small order statistics on buffers, shared by the feature extractors and the correlation code.
public enum Statistics {
    /// Median of `values` (average of the two middle values for even counts; 0 when empty). Sorts a copy.
    public static func median<T: BinaryFloatingPoint>(_ values: [T]) -> T {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let n = sorted.count
        return n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2])
    }

    /// The p-quantile (p in 0…1) of the finite values, interpolating linearly between order statistics
    /// (NumPy's default); NaN when there are none. Benchmarks and studies report percentiles through this.
    public static func percentile(_ values: [Double], _ p: Double) -> Double {
        let f = values.filter(\.isFinite).sorted()
        guard !f.isEmpty else { return .nan }
        let x = min(max(p, 0), 1) * Double(f.count - 1), i = Int(x)
        return i + 1 < f.count ? f[i] + (x - Double(i)) * (f[i + 1] - f[i]) : f[i]
    }

    /// Rescales `values` to [0, 1]; a constant input becomes all zeros (never NaN).
    public static func minMaxNormalized(_ values: [Float]) -> [Float] {
        guard let lo = values.min(), let hi = values.max(), hi > lo else {
            return [Float](repeating: 0, count: values.count)
        }
        let scale = 1 / (hi - lo)
        return values.map { ($0 - lo) * scale }
    }
}

/// Order statistics on raw buffers without allocating: safe to call in a real-time frame loop.
public enum Selection {
    /// Rearranges `p[0..<n]` so that `p[k]` holds the k-th smallest value (Hoare's quickselect).
    public static func select(_ p: UnsafeMutablePointer<Float>, count n: Int, k: Int) -> Float {
        var lo = 0, hi = n - 1
        while lo < hi {
            let pivot = p[(lo + hi) / 2]
            var i = lo, j = hi
            while i <= j {
                while p[i] < pivot { i += 1 }
                while p[j] > pivot { j -= 1 }
                if i <= j { let t = p[i]; p[i] = p[j]; p[j] = t; i += 1; j -= 1 }
            }
            if k <= j { hi = j } else if k >= i { lo = i } else { break }
        }
        return p[k]
    }

    /// Median of `p[0..<n]` (reorders the buffer).
    public static func median(_ p: UnsafeMutablePointer<Float>, count n: Int) -> Float {
        guard n > 0 else { return 0 }
        let upper = select(p, count: n, k: n / 2)
        if n % 2 == 1 { return upper }
        var lower = -Float.infinity
        for i in 0..<(n / 2) { lower = max(lower, p[i]) }  // after selection, the lower half precedes k
        return 0.5 * (lower + upper)
    }

    /// Means of the `take` smallest and `take` largest values of `p[0..<n]`, in one pass.
    /// `low` and `high` are scratch space for `take` values each.
    public static func extremeMeans(_ p: UnsafePointer<Float>, count n: Int, take: Int,
                                    low: UnsafeMutablePointer<Float>, high: UnsafeMutablePointer<Float>) -> (low: Float, high: Float) {
        let t = min(take, n)
        guard t > 0 else { return (0, 0) }
        var filled = 0
        for i in 0..<n {
            let v = p[i]
            if filled < t {
                // Insert into both sorted lists while they are not full.
                var j = filled
                while j > 0 && low[j - 1] > v { low[j] = low[j - 1]; j -= 1 }
                low[j] = v
                j = filled
                while j > 0 && high[j - 1] < v { high[j] = high[j - 1]; j -= 1 }
                high[j] = v
                filled += 1
                continue
            }
            if v < low[t - 1] {
                var j = t - 1
                while j > 0 && low[j - 1] > v { low[j] = low[j - 1]; j -= 1 }
                low[j] = v
            }
            if v > high[t - 1] {
                var j = t - 1
                while j > 0 && high[j - 1] < v { high[j] = high[j - 1]; j -= 1 }
                high[j] = v
            }
        }
        var lo: Float = 0, hi: Float = 0
        for j in 0..<t { lo += low[j]; hi += high[j] }
        return (lo / Float(t), hi / Float(t))
    }
}
