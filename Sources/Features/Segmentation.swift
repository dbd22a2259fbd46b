import Basics
import Foundation
import LinearAlgebra

/// Laplacian structural segmentation (McFee & Ellis 2014), as the thesis used it: a recurrence graph
/// over beat-synchronous spectra, a path term from MFCC similarity of neighbouring beats, the
/// normalised Laplacian's eigenvectors, k-means. Labels land on beat boundaries.
public enum Segmentation {
    public static let defaultCounts = [2, 4, 6, 8, 12, 16]

    /// - Parameters:
    ///   - spectrum: frames × `spectrumDims` log-power features (beat-synchronised with medians).
    ///   - mfcc: frames × `mfccDims` (beat-synchronised with means).
    ///   - beats: beat frame indices (ascending).
    ///   - counts: the numbers of segments to produce.
    /// - Returns: per k, one label per frame (labels numbered in order of first appearance).
    public static func labels(spectrum: [Float], spectrumDims: Int, mfcc: [Float], mfccDims: Int,
                              frames: Int, beats: [Int], counts: [Int] = defaultCounts) throws -> [[Int]] {
        let bounds = boundaries(beats: beats, frames: frames)
        let t = bounds.count - 1
        guard t >= 3 else { return counts.map { _ in [Int](repeating: 0, count: frames) } }
        let cSync = synchronise(spectrum, dims: spectrumDims, bounds: bounds, median: true)
        let mSync = synchronise(mfcc, dims: mfccDims, bounds: bounds, median: false)
        let recurrence = timeLagMedian(recurrenceAffinity(cSync, dims: spectrumDims, count: t, width: 3), count: t, size: 7)

        var pathDistance = [Double](repeating: 0, count: t - 1)
        for i in 0..<(t - 1) {
            var d = 0.0
            for c in 0..<mfccDims { let x = mSync[(i + 1) * mfccDims + c] - mSync[i * mfccDims + c]; d += x * x }
            pathDistance[i] = d
        }
        let sigma = max(1e-12, median(pathDistance))
        let pathSimilarity = pathDistance.map { exp(-$0 / sigma) }
        var degreePath = [Double](repeating: 0, count: t), degreeRec = [Double](repeating: 0, count: t)
        for i in 0..<(t - 1) { degreePath[i] += pathSimilarity[i]; degreePath[i + 1] += pathSimilarity[i] }
        for i in 0..<t { for j in 0..<t { degreeRec[i] += recurrence[i * t + j] } }
        var num = 0.0, den = 0.0
        for i in 0..<t { let s = degreePath[i] + degreeRec[i]; num += degreePath[i] * s; den += s * s }
        let mu = den > 0 ? num / den : 0.5

        var a = [Double](repeating: 0, count: t * t)
        for i in 0..<t { for j in 0..<t { a[i * t + j] = mu * recurrence[i * t + j] } }
        for i in 0..<(t - 1) {
            a[i * t + i + 1] += (1 - mu) * pathSimilarity[i]
            a[(i + 1) * t + i] += (1 - mu) * pathSimilarity[i]
        }
        // Normalised Laplacian L = I − D^-1/2 A D^-1/2 (isolated beats keep a 1 on the diagonal).
        var degree = [Double](repeating: 0, count: t)
        for i in 0..<t { for j in 0..<t where i != j { degree[i] += a[i * t + j] } }
        // Beats whose links are all but zero count as isolated: 1/√(dᵢdⱼ) of two tiny degrees overflows
        // (a feature that barely changes, e.g. a smoothed onset curve of an ambient piece, gives such beats).
        let inverseRoot = degree.map { $0 > 1e-12 ? 1 / $0.squareRoot() : 0 }
        var laplacian = [Double](repeating: 0, count: t * t)
        for i in 0..<t {
            for j in 0..<t {
                let w = i == j ? 0 : a[i * t + j]
                laplacian[i * t + j] = (i == j ? 1 : 0) - w * inverseRoot[i] * inverseRoot[j]
            }
        }
        let eig = try SymmetricEigen.decompose(laplacian, n: t)
        // Smooth each eigenvector along time (median of 9 beats), as the reference does.
        var vectors = eig.vectors
        for j in 0..<t {
            let column = (0..<t).map { Float(vectors[$0 * t + j]) }
            var filtered = column
            MedianFilter.apply(column, size: 9, into: &filtered)
            for i in 0..<t { vectors[i * t + j] = Double(filtered[i]) }
        }
        return counts.map { requested in
            let k = min(requested, t)
            var points = [Double](repeating: 0, count: t * k)
            for i in 0..<t {
                var norm = 0.0
                for j in 0..<k { norm += vectors[i * t + j] * vectors[i * t + j] }
                norm = max(norm.squareRoot(), 1e-12)
                for j in 0..<k { points[i * k + j] = vectors[i * t + j] / norm }
            }
            let beatLabels = KMeans.cluster(points, dims: k, count: t, k: k, seed: UInt64(requested))
            var frameLabels = [Int](repeating: 0, count: frames)
            for s in 0..<t { for f in bounds[s]..<bounds[s + 1] { frameLabels[f] = beatLabels[s] } }
            return renumberInOrder(frameLabels)
        }
    }

    /// Segment boundaries in frames: 0, every beat inside the track, the end.
    static func boundaries(beats: [Int], frames: Int) -> [Int] {
        var b = [0]
        for beat in beats where beat > b.last! && beat < frames { b.append(beat) }
        if b.last! != frames { b.append(frames) }
        return b
    }

    static func synchronise(_ x: [Float], dims: Int, bounds: [Int], median useMedian: Bool) -> [Double] {
        let t = bounds.count - 1
        var out = [Double](repeating: 0, count: t * dims)
        for s in 0..<t {
            let range = bounds[s]..<bounds[s + 1]
            for c in 0..<dims {
                let values = range.map { Double(x[$0 * dims + c]) }
                out[s * dims + c] = useMedian ? median(values) : values.reduce(0, +) / Double(values.count)
            }
        }
        return out
    }

    /// Mutual k-nearest-neighbour affinity, k = 2·⌈√(t − 2·width + 1)⌉, excluding |i − j| < width;
    /// weights exp(−d / median distance of the kept links).
    static func recurrenceAffinity(_ x: [Double], dims: Int, count t: Int, width: Int) -> [Double] {
        let k = max(1, 2 * Int(ceil(Double(max(1, t - 2 * width + 1)).squareRoot())))
        var distance = [Double](repeating: .infinity, count: t * t)
        for i in 0..<t {
            for j in 0..<t where abs(i - j) >= width {
                var d = 0.0
                for c in 0..<dims { let v = x[i * dims + c] - x[j * dims + c]; d += v * v }
                distance[i * t + j] = d.squareRoot()
            }
        }
        var neighbour = [Bool](repeating: false, count: t * t)
        for i in 0..<t {
            let order = (0..<t).filter { distance[i * t + $0].isFinite }.sorted { distance[i * t + $0] < distance[i * t + $1] }
            for j in order.prefix(k) { neighbour[i * t + j] = true }
        }
        var kept = [Double]()
        for i in 0..<t { for j in 0..<t where neighbour[i * t + j] && neighbour[j * t + i] { kept.append(distance[i * t + j]) } }
        let bandwidth = max(1e-12, median(kept))
        var r = [Double](repeating: 0, count: t * t)
        for i in 0..<t {
            for j in 0..<t where neighbour[i * t + j] && neighbour[j * t + i] {
                r[i * t + j] = exp(-distance[i * t + j] / bandwidth)
            }
        }
        return r
    }

    /// Median along diagonals (fixed time lag), which enhances repeated sequences and removes isolated links.
    static func timeLagMedian(_ r: [Double], count t: Int, size: Int) -> [Double] {
        var out = [Double](repeating: 0, count: t * t)
        let half = size / 2
        for i in 0..<t {
            for j in 0..<t {
                var values = [Double]()
                for d in -half...half {
                    let a = i + d, b = j + d
                    if a >= 0 && a < t && b >= 0 && b < t { values.append(r[a * t + b]) }
                }
                out[i * t + j] = median(values)
            }
        }
        return out
    }

    static func median(_ v: [Double]) -> Double { Statistics.median(v) }

    static func renumberInOrder(_ labels: [Int]) -> [Int] {
        var map = [Int: Int]()
        return labels.map { l in
            if let m = map[l] { return m }
            map[l] = map.count
            return map[l]!
        }
    }
}

/// Lloyd's k-means with k-means++ seeding from a fixed seed, best of several restarts.
enum KMeans {
    static func cluster(_ x: [Double], dims: Int, count n: Int, k: Int, seed: UInt64, restarts: Int = 8) -> [Int] {
        guard k > 1, n > k else { return (0..<n).map { min($0, k - 1) } }
        var rng = SeededRandom(seed: 0x5E6_0000 &+ seed)
        var bestLabels = [Int](repeating: 0, count: n), bestInertia = Double.infinity
        func dist(_ i: Int, _ c: [Double], _ j: Int) -> Double {
            var d = 0.0
            for q in 0..<dims { let v = x[i * dims + q] - c[j * dims + q]; d += v * v }
            return d
        }
        for _ in 0..<restarts {
            var centres = [Double](repeating: 0, count: k * dims)
            let first = Int(rng.uniform() * Double(n))
            for q in 0..<dims { centres[q] = x[first * dims + q] }
            for c in 1..<k {
                let d2 = (0..<n).map { i in (0..<c).map { dist(i, centres, $0) }.min()! }
                let total = d2.reduce(0, +)
                var pick = 0
                if total > 0 {
                    var r = rng.uniform() * total
                    for i in 0..<n { r -= d2[i]; if r <= 0 { pick = i; break } }
                }
                for q in 0..<dims { centres[c * dims + q] = x[pick * dims + q] }
            }
            var labels = [Int](repeating: 0, count: n)
            for _ in 0..<100 {
                var changed = false
                for i in 0..<n {
                    var best = 0, bestD = Double.infinity
                    for j in 0..<k { let d = dist(i, centres, j); if d < bestD { bestD = d; best = j } }
                    if labels[i] != best { labels[i] = best; changed = true }
                }
                var sums = [Double](repeating: 0, count: k * dims), counts = [Int](repeating: 0, count: k)
                for i in 0..<n { counts[labels[i]] += 1; for q in 0..<dims { sums[labels[i] * dims + q] += x[i * dims + q] } }
                for j in 0..<k where counts[j] > 0 { for q in 0..<dims { centres[j * dims + q] = sums[j * dims + q] / Double(counts[j]) } }
                if !changed { break }
            }
            let inertia = (0..<n).reduce(0.0) { $0 + dist($1, centres, labels[$1]) }
            if inertia < bestInertia { bestInertia = inertia; bestLabels = labels }
        }
        return bestLabels
    }
}
