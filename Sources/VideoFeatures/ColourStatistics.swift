/// The colour features of one RGB24 frame, in a single pass over its pixels.
///
/// Working on the bytes keeps every bin exact: a byte b is the value b / 255 in [0, 1], and its bin of
/// 32 over [0, 1] is floor(32 · b / 255) clamped to 31, which equals b >> 3 for every byte.
enum ColourStatistics {
    static let bins = VideoLayout.histogramBins

    /// Fills the RGB and HSV histograms (3 × 32 each, every channel summing to 1), the grey frame
    /// (mean of R, G, B in [0, 1]) and returns the variance of all pixel values and the mean absolute
    /// difference to `previous` (0 without one), both on [0, 1] values.
    ///
    /// HSV as in Python's colorsys: V = max, S = (max − min) / max (0 for black), H in [0, 1) with red
    /// at 0, green at 1/3, blue at 2/3. Grey pixels have no hue; like colorsys they count as hue 0.
    static func measure(rgb: UnsafePointer<UInt8>, previous: UnsafePointer<UInt8>?, pixels n: Int,
                        rgbHistogram: UnsafeMutablePointer<Float>, hsvHistogram: UnsafeMutablePointer<Float>,
                        grey: UnsafeMutablePointer<Float>) -> (variance: Float, difference: Float) {
        rgbHistogram.update(repeating: 0, count: 3 * bins)
        hsvHistogram.update(repeating: 0, count: 3 * bins)
        let red = rgbHistogram, green = rgbHistogram + bins, blue = rgbHistogram + 2 * bins
        let hue = hsvHistogram, saturation = hsvHistogram + bins, value = hsvHistogram + 2 * bins
        var sum = 0, sumSquares = 0
        let hueScale = Float(bins) / 6
        for i in 0..<n {
            let p = rgb + 3 * i
            let r = Int(p[0]), g = Int(p[1]), b = Int(p[2])
            // Counts stay exact in Float up to 2^24 pixels, far beyond an analysis frame.
            red[r >> 3] += 1; green[g >> 3] += 1; blue[b >> 3] += 1
            sum += r + g + b
            sumSquares += r * r + g * g + b * b
            grey[i] = Float(r + g + b) * (1 / 765)

            let mx = max(r, g, b), mn = min(r, g, b), d = mx - mn
            value[mx >> 3] += 1
            saturation[mx == 0 ? 0 : min(bins - 1, (bins * d) / mx)] += 1
            var h: Float = 0
            if d > 0 {
                let inverse = 1 / Float(d)
                if mx == r {
                    h = Float(g - b) * inverse
                    if h < 0 { h += 6 }
                } else if mx == g {
                    h = Float(b - r) * inverse + 2
                } else {
                    h = Float(r - g) * inverse + 4
                }
            }
            hue[min(bins - 1, Int(h * hueScale))] += 1
        }
        let inverseCount = 1 / Float(n)
        for k in 0..<(3 * bins) {
            rgbHistogram[k] *= inverseCount
            hsvHistogram[k] *= inverseCount
        }

        // Variance from exact integer sums: n·Σv² − (Σv)² is never negative, and 0 for a constant frame.
        // (No overflow below 3.9 million pixels; the extractor caps analysis frames far lower.)
        let values = 3 * n
        let spread = Double(values * sumSquares - sum * sum) / (Double(values) * Double(values))
        let variance = Float(spread / (255 * 255))

        var difference: Float = 0
        if let previous {
            var total = 0
            for k in 0..<values { total += abs(Int(rgb[k]) - Int(previous[k])) }
            difference = Float(Double(total) / (Double(values) * 255))
        }
        return (variance, difference)
    }
}
