import Foundation

/// Harmonic/percussive separation by median filtering (Fitzgerald 2010), as librosa's `hpss` with
/// soft masks: a harmonic estimate smooths along time, a percussive one along frequency.
public enum HPSS {
    public struct Result {
        public let harmonic: Spectrogram
        public let percussive: Spectrogram
    }

    public static func separate(_ magnitude: Spectrogram, kernel: Int = 31, power: Float = 2, margin: Float = 8) -> Result {
        let frames = magnitude.frames, bins = magnitude.bins
        var harmEstimate = Spectrogram(frames: frames, bins: bins)
        var percEstimate = Spectrogram(frames: frames, bins: bins)
        magnitude.values.withUnsafeBufferPointer { s in
            harmEstimate.values.withUnsafeMutableBufferPointer { h in
                // Along time, for each bin (stride = bins).
                var line = [Float](repeating: 0, count: frames), filtered = [Float](repeating: 0, count: frames)
                for b in 0..<bins {
                    for k in 0..<frames { line[k] = s[k * bins + b] }
                    MedianFilter.apply(line, size: kernel, into: &filtered)
                    for k in 0..<frames { h[k * bins + b] = filtered[k] }
                }
            }
            percEstimate.values.withUnsafeMutableBufferPointer { p in
                var line = [Float](repeating: 0, count: bins), filtered = [Float](repeating: 0, count: bins)
                for k in 0..<frames {
                    for b in 0..<bins { line[b] = s[k * bins + b] }
                    MedianFilter.apply(line, size: kernel, into: &filtered)
                    for b in 0..<bins { p[k * bins + b] = filtered[b] }
                }
            }
        }
        var harmonic = Spectrogram(frames: frames, bins: bins)
        var percussive = Spectrogram(frames: frames, bins: bins)
        for i in 0..<(frames * bins) {
            let x = magnitude.values[i], h = harmEstimate.values[i], p = percEstimate.values[i]
            harmonic.values[i] = x * softMask(h, margin * p, power)
            percussive.values[i] = x * softMask(p, margin * h, power)
        }
        return Result(harmonic: harmonic, percussive: percussive)
    }

    /// librosa's `util.softmask` (split_zeros false): x^p / (x^p + ref^p), computed relative to the
    /// larger of the two so it cannot overflow; 0 where both are (numerically) zero.
    @inline(__always)
    static func softMask(_ x: Float, _ ref: Float, _ power: Float) -> Float {
        let z = max(x, ref)
        guard z >= Float.leastNormalMagnitude else { return 0 }
        let m = power == 2 ? (x / z) * (x / z) : powf(x / z, power)
        let r = power == 2 ? (ref / z) * (ref / z) : powf(ref / z, power)
        return m / (m + r)
    }
}

/// Running median with SciPy ndimage's 'reflect' edges (the edge sample repeated).
enum MedianFilter {
    static func apply(_ x: [Float], size: Int, into out: inout [Float]) {
        let n = x.count
        guard n > 0 else { return }
        let half = size / 2
        // A sorted window, slid one sample at a time: remove the outgoing value, insert the incoming.
        var window = (0..<size).map { x[Padding.symmetric($0 - half, n)] }.sorted()
        out[0] = window[half]
        for i in 1..<n {
            let outgoing = x[Padding.symmetric(i - 1 - half, n)]
            let incoming = x[Padding.symmetric(i + half, n)]
            if outgoing != incoming {
                let at = lowerBound(window, outgoing)
                window.remove(at: at)
                window.insert(incoming, at: lowerBound(window, incoming))
            }
            out[i] = window[half]
        }
    }

    @inline(__always)
    static func lowerBound(_ a: [Float], _ v: Float) -> Int {
        var lo = 0, hi = a.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if a[mid] < v { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}
