/// The [1, 3, 3, 1] low-pass filter of StyleGAN2's up-sampling, applied separably. Each 1-D pass carries
/// a gain of 2, so the 2-D filter has gain 4 = up², as upfirdn2d(…, gain=up**2) does.
enum Resampling {
    static let taps: (Float, Float, Float, Float) = (0.25, 0.75, 0.75, 0.25)

    /// The normalised 4×4 filter stylegan2-ada-pytorch stores as `resample_filter`.
    static let standardFilter: [Float] = {
        let f: [Float] = [1, 3, 3, 1]
        return f.flatMap { a in f.map { b in a * b / 64 } }
    }()

    /// After a stride-2 transposed convolution: `grid` holds `channels` planes of (2h+1)², the result is
    /// `channels` planes of (2h)²: the FIR with one pixel of zero padding on every side.
    static func filterTransposedGrid(_ grid: UnsafePointer<Float>, channels: Int, h: Int,
                                     temp: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>) {
        let g = 2 * h + 1, n = 2 * h
        let (t0, t1, t2, t3) = taps
        for c in 0..<channels {
            let src = grid + c * g * g, tmp = temp + c * g * n, dst = out + c * n * n
            // Rows: out column X reads grid columns X-1 … X+2.
            for y in 0..<g {
                let row = src + y * g, o = tmp + y * n
                o[0] = t1 * row[0] + t2 * row[1] + t3 * row[2]
                for x in 1..<(n - 1) { o[x] = t0 * row[x - 1] + t1 * row[x] + t2 * row[x + 1] + t3 * row[x + 2] }
                o[n - 1] = t0 * row[n - 2] + t1 * row[n - 1] + t2 * row[n]
            }
            // Columns.
            for x in 0..<n { dst[x] = t1 * tmp[x] + t2 * tmp[n + x] + t3 * tmp[2 * n + x] }
            for y in 1..<(n - 1) {
                let a = tmp + (y - 1) * n, b = tmp + y * n, c2 = tmp + (y + 1) * n, d = tmp + (y + 2) * n, o = dst + y * n
                for x in 0..<n { o[x] = t0 * a[x] + t1 * b[x] + t2 * c2[x] + t3 * d[x] }
            }
            let last = dst + (n - 1) * n, a = tmp + (n - 2) * n, b = tmp + (n - 1) * n, c2 = tmp + n * n
            for x in 0..<n { last[x] = t0 * a[x] + t1 * b[x] + t2 * c2[x] }
        }
    }

    /// upsample2d: zero insertion ×2, padding 2 before and 1 after, the FIR. `input` is `channels` planes
    /// of h², `out` gets planes of (2h)²; `temp` holds channels · h · 2h.
    static func upsample(_ input: UnsafePointer<Float>, channels: Int, h: Int,
                         temp: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>) {
        let n = 2 * h
        let (t0, t1, t2, t3) = taps
        // Output index X reads the zero-stuffed signal at X-2 … X+1: even X gets taps 0 and 2 on inputs
        // X/2-1 and X/2; odd X gets taps 1 and 3 on inputs (X-1)/2 and (X+1)/2.
        func pass(_ src: UnsafePointer<Float>, _ count: Int, _ stride: Int, _ dst: UnsafeMutablePointer<Float>, _ dstStride: Int) {
            for j in 0..<count {
                let here = src[j * stride]
                let previous: Float = j > 0 ? src[(j - 1) * stride] : 0
                let next: Float = j + 1 < count ? src[(j + 1) * stride] : 0
                dst[(2 * j) * dstStride] = t0 * previous + t2 * here
                dst[(2 * j + 1) * dstStride] = t1 * here + t3 * next
            }
        }
        for c in 0..<channels {
            let src = input + c * h * h, tmp = temp + c * h * n, dst = out + c * n * n
            for y in 0..<h { pass(src + y * h, h, 1, tmp + y * n, 1) }
            for x in 0..<n { pass(tmp + x, h, n, dst + x, n) }
        }
    }
}
