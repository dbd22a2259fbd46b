import Foundation

/// Chroma post-processing (CENS) and the tonal centroid (tonnetz).
public enum Tonality {
    /// Normalises `row` in place to unit L1 or L2 norm; rows with (numerically) zero norm are left
    /// unchanged, as librosa's `util.normalize` does.
    @inline(__always)
    public static func normalize(_ row: UnsafeMutablePointer<Float>, count: Int, l2: Bool) {
        var norm: Float = 0
        for i in 0..<count { norm += l2 ? row[i] * row[i] : abs(row[i]) }
        if l2 { norm = norm.squareRoot() }
        guard norm >= Float.leastNormalMagnitude else { return }
        for i in 0..<count { row[i] /= norm }
    }

    /// CENS (chroma energy normalised statistics) from raw chroma frames (frames × 12):
    /// L1 per frame, quantisation into steps of 0.25 at 0.05/0.1/0.2/0.4, temporal Hann smoothing,
    /// L2 per frame.
    public static func cens(_ chroma: [Float], frames: Int, smoothing: Int = 41) -> [Float] {
        var q = chroma
        q.withUnsafeMutableBufferPointer { p in
            for k in 0..<frames {
                let row = p.baseAddress! + 12 * k
                normalize(row, count: 12, l2: false)
                for c in 0..<12 {
                    let v = row[c]
                    var level: Float = 0
                    for step: Float in [0.4, 0.2, 0.1, 0.05] where v > step { level += 0.25 }
                    row[c] = level
                }
            }
        }
        var window = Window.symmetricHann(smoothing + 2)
        let total = window.reduce(0, +)
        window = window.map { $0 / total }
        let half = window.count / 2
        var out = [Float](repeating: 0, count: q.count)
        for k in 0..<frames {
            for c in 0..<12 {
                var acc: Float = 0
                // scipy.ndimage.convolve with zero ('constant') edges; the window is symmetric.
                for j in 0..<window.count {
                    let src = k + j - half
                    if src >= 0 && src < frames { acc += window[j] * q[12 * src + c] }
                }
                out[12 * k + c] = acc
            }
        }
        out.withUnsafeMutableBufferPointer { p in
            for k in 0..<frames { normalize(p.baseAddress! + 12 * k, count: 12, l2: true) }
        }
        return out
    }

    /// The 6 × 12 tonal centroid projection: fifths, minor thirds (radius 1), major thirds (0.5).
    static let tonnetzBasis: [Float] = {
        let scale: [Double] = [7.0 / 6, 7.0 / 6, 3.0 / 2, 3.0 / 2, 2.0 / 3, 2.0 / 3]
        let radius: [Double] = [1, 1, 1, 1, 0.5, 0.5]
        var basis = [Float]()
        for r in 0..<6 {
            for c in 0..<12 {
                var v = scale[r] * Double(c)
                if r % 2 == 0 { v -= 0.5 }  // even rows are sines
                basis.append(Float(radius[r] * cos(Double.pi * v)))
            }
        }
        return basis
    }()

    /// Tonnetz of one chroma frame (L1-normalised first).
    @inline(__always)
    public static func tonnetz(chroma: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        var norm: Float = 0
        for c in 0..<12 { norm += abs(chroma[c]) }
        let scale: Float = norm >= Float.leastNormalMagnitude ? 1 / norm : 1
        tonnetzBasis.withUnsafeBufferPointer { b in
            for r in 0..<6 {
                var acc: Float = 0
                for c in 0..<12 { acc += b[12 * r + c] * chroma[c] }
                out[r] = acc * scale
            }
        }
    }
}
