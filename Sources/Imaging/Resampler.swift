/// Scales RGB frames to another size with an antialiased linear (triangle) filter: bilinear when
/// enlarging; when shrinking, the filter widens with the scale so every source pixel contributes (no
/// aliasing, unlike nearest-neighbour or plain bilinear). The same filter as Pillow's `BILINEAR` and
/// FFmpeg's `bilinear` with full-chroma handling.
///
/// The picture covers the output: it is scaled to fill it and the overflow is cropped evenly from both
/// sides (a square render on a 16:9 output loses its top and bottom, never gets bars).
///
/// Every weight is computed once, in `init`; `scale` allocates nothing, so an output thread can call it
/// per frame.
public final class Resampler {
    public let sourceWidth: Int, sourceHeight: Int
    public let width: Int, height: Int
    /// Bytes per output pixel: 3 (RGB) or 4 (RGB and an opaque fourth byte, RGBx).
    public let outputChannels: Int
    private let columns: Taps, rows: Taps
    /// One horizontally filtered row per source row the output needs (rows.first ..< rows.last).
    private let horizontal: UnsafeMutablePointer<Float>
    private let firstRow: Int, rowCount: Int

    /// Per output index: the first source index and `count` weights (zero-padded to `count`).
    struct Taps {
        let count: Int
        let start: [Int]
        let weights: [Float]

        /// Output pixel i covers source coordinates offset + (i, i+1) × step; the triangle filter has a
        /// half-width of max(1, step) source pixels.
        init(source: Int, output: Int, offset: Double, step: Double) {
            let support = max(1.0, step)
            let count = Int((support * 2).rounded(.up)) + 1
            var start = [Int](repeating: 0, count: output)
            var weights = [Float](repeating: 0, count: output * count)
            for i in 0..<output {
                let centre = offset + (Double(i) + 0.5) * step
                let lo = max(0, Int((centre - support).rounded(.down)))
                let hi = min(source, Int((centre + support).rounded(.up)))
                var w = [Double](repeating: 0, count: count)
                var total = 0.0
                for (k, s) in (lo..<min(hi, lo + count)).enumerated() {
                    let distance = abs(Double(s) + 0.5 - centre) / support
                    w[k] = max(0, 1 - distance)
                    total += w[k]
                }
                start[i] = lo
                for k in 0..<count { weights[i * count + k] = total > 0 ? Float(w[k] / total) : 0 }
            }
            self.count = count; self.start = start; self.weights = weights
        }
    }

    public init(sourceWidth: Int, sourceHeight: Int, width: Int, height: Int, outputChannels: Int = 3) {
        precondition(sourceWidth > 0 && sourceHeight > 0 && width > 0 && height > 0 && (outputChannels == 3 || outputChannels == 4))
        self.sourceWidth = sourceWidth; self.sourceHeight = sourceHeight
        self.width = width; self.height = height; self.outputChannels = outputChannels
        // Cover: one scale for both axes, the larger of the two; the source window is centred.
        let scale = max(Double(width) / Double(sourceWidth), Double(height) / Double(sourceHeight))
        let step = 1 / scale
        columns = Taps(source: sourceWidth, output: width, offset: (Double(sourceWidth) - Double(width) * step) / 2, step: step)
        let rows = Taps(source: sourceHeight, output: height, offset: (Double(sourceHeight) - Double(height) * step) / 2, step: step)
        self.rows = rows
        firstRow = rows.start.min() ?? 0
        let last = (0..<height).map { min(sourceHeight, rows.start[$0] + rows.count) }.max() ?? sourceHeight
        rowCount = last - firstRow
        horizontal = .allocate(capacity: rowCount * width * 3)
    }

    deinit { horizontal.deallocate() }

    /// Bytes of one output frame.
    public var outputBytes: Int { width * height * outputChannels }

    /// `source`: sourceWidth × sourceHeight × 3 bytes (RGB); `output`: `outputBytes` bytes.
    public func scale(_ source: UnsafePointer<UInt8>, into output: UnsafeMutablePointer<UInt8>) {
        let cn = columns.count, rn = rows.count
        columns.weights.withUnsafeBufferPointer { cw in
            columns.start.withUnsafeBufferPointer { cs in
                for r in 0..<rowCount {
                    let src = source + (firstRow + r) * sourceWidth * 3
                    let dst = horizontal + r * width * 3
                    for x in 0..<width {
                        var red: Float = 0, green: Float = 0, blue: Float = 0
                        let s0 = cs[x]
                        for k in 0..<cn where s0 + k < sourceWidth {
                            let w = cw[x * cn + k], p = src + (s0 + k) * 3
                            red += w * Float(p[0]); green += w * Float(p[1]); blue += w * Float(p[2])
                        }
                        dst[x * 3] = red; dst[x * 3 + 1] = green; dst[x * 3 + 2] = blue
                    }
                }
            }
        }
        let channels = outputChannels
        rows.weights.withUnsafeBufferPointer { rw in
            rows.start.withUnsafeBufferPointer { rs in
                for y in 0..<height {
                    let s0 = rs[y] - firstRow
                    let dst = output + y * width * channels
                    for x in 0..<width {
                        var red: Float = 0, green: Float = 0, blue: Float = 0
                        for k in 0..<rn where s0 + k < rowCount {
                            let w = rw[y * rn + k], p = horizontal + (s0 + k) * width * 3 + x * 3
                            red += w * p[0]; green += w * p[1]; blue += w * p[2]
                        }
                        let d = dst + x * channels
                        d[0] = Self.byte(red); d[1] = Self.byte(green); d[2] = Self.byte(blue)
                        if channels == 4 { d[3] = 255 }
                    }
                }
            }
        }
    }

    @inline(__always) private static func byte(_ v: Float) -> UInt8 { UInt8(max(0, min(255, v.rounded()))) }
}
