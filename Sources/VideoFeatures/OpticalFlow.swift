import Foundation

/// Dense optical flow between consecutive grey frames: pyramidal Lucas–Kanade.
///
/// Every pixel gets its own displacement (u, v), in pixels per frame, image coordinates (x to the
/// right, y *down*), such that current(x + u, y + v) ≈ previous(x, y). Per pyramid level, coarsest
/// first, a few Gauss–Newton steps: warp the current frame by the flow (bilinear), and solve the 2 × 2
/// Lucas–Kanade system over a 7 × 7 box window around each pixel, with the previous frame's gradients.
/// The structure tensor depends on the previous frame only, so it is computed once per frame, when a
/// frame becomes the previous one. A small Tikhonov term (λ) keeps flat regions, where there is nothing
/// to track, at zero flow instead of noise or NaN.
///
/// Lucas–Kanade assumes a point keeps its brightness. Fades and flashes break that everywhere at once,
/// and would read as motion; so each frame is first normalised to zero mean and a fixed contrast
/// (standard deviation 0.2, the gain capped at 10× so that a nearly flat frame's noise is not blown up).
///
/// All buffers are allocated in `init`; `push` allocates nothing.
final class OpticalFlow {
    let width: Int, height: Int
    let levelCount: Int
    let radius = 3            // a 7 × 7 window
    let iterations = 3
    /// Regularisation, in units of summed squared gradients of [0, 1] images over the window: about the
    /// texture of ±1/255 noise, so sensor or compression noise alone does not produce motion.
    let lambda: Double = 1e-4
    private let levels: [PyramidLevel]
    private let scratch: UnsafeMutablePointer<Float>
    private let productX: UnsafeMutablePointer<Float>, productY: UnsafeMutablePointer<Float>
    private let sumX: UnsafeMutablePointer<Float>, sumY: UnsafeMutablePointer<Float>
    private let columnSums: UnsafeMutablePointer<Float>
    private var hasPrevious = false

    /// Flow of the latest pair at full resolution (valid once `push` returned true).
    var u: UnsafeMutablePointer<Float> { levels[0].u }
    var v: UnsafeMutablePointer<Float> { levels[0].v }

    /// - Parameter maxLevels: with 3 levels, motion up to about 10 px per frame at full size is followed
    ///   (measured on a 128 px texture; 7 px is in the tests).
    init(width: Int, height: Int, maxLevels: Int = 3) {
        precondition(width >= 1 && height >= 1)
        self.width = width; self.height = height
        // Halve while the coarser level still holds a useful window (at least 8 px a side).
        var sizes = [(width, height)]
        while sizes.count < maxLevels, sizes.last!.0 / 2 >= 8, sizes.last!.1 / 2 >= 8 {
            sizes.append((sizes.last!.0 / 2, sizes.last!.1 / 2))
        }
        levelCount = sizes.count
        levels = sizes.map { PyramidLevel(width: $0.0, height: $0.1) }
        let n = width * height
        func buffer(_ n: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: n); p.initialize(repeating: 0, count: n); return p
        }
        scratch = buffer(n); productX = buffer(n); productY = buffer(n); sumX = buffer(n); sumY = buffer(n)
        columnSums = buffer(width)
    }

    deinit {
        for p in [scratch, productX, productY, sumX, sumY, columnSums] { p.deallocate() }
    }

    /// Feeds the next frame (`width × height` grey values). Returns true when flow from the previous
    /// frame to this one is ready in `u`, `v` (false for the first frame).
    func push(_ grey: UnsafePointer<Float>) -> Bool {
        // Level 0 is the frame slightly blurred (reliable gradients); each coarser level is the finer one
        // blurred again and averaged 2 × 2.
        let top = levels[0]
        blur(grey, top.current, top.width, top.height)
        normalise(top.current, count: top.count)
        for l in 1..<max(1, levelCount) {
            let fine = levels[l - 1], coarse = levels[l]
            blur(fine.current, scratch, fine.width, fine.height)
            halve(scratch, fine.width, into: coarse.current, coarse.width, coarse.height)
        }

        let ready = hasPrevious
        if ready {
            for l in stride(from: levelCount - 1, through: 0, by: -1) {
                let level = levels[l]
                if l == levelCount - 1 {
                    level.u.update(repeating: 0, count: level.count)
                    level.v.update(repeating: 0, count: level.count)
                } else {
                    upsample(from: levels[l + 1], to: level)
                }
                for _ in 0..<iterations { refine(level) }
            }
        }

        // This frame becomes the previous one: its gradients and structure tensor serve the next pair.
        for level in levels {
            level.swap()
            prepare(level)
        }
        hasPrevious = true
        return ready
    }

    // MARK: - Lucas–Kanade

    /// Gradients of the previous frame (central differences) and their window sums.
    private func prepare(_ level: PyramidLevel) {
        let w = level.width, h = level.height, p = level.previous
        for y in 0..<h {
            let up = max(y - 1, 0) * w, row = y * w, down = min(y + 1, h - 1) * w
            for x in 0..<w {
                let left = max(x - 1, 0), right = min(x + 1, w - 1)
                level.gradientX[row + x] = 0.5 * (p[row + right] - p[row + left])
                level.gradientY[row + x] = 0.5 * (p[down + x] - p[up + x])
            }
        }
        for i in 0..<level.count {
            let gx = level.gradientX[i], gy = level.gradientY[i]
            productX[i] = gx * gx; productY[i] = gy * gy; sumX[i] = gx * gy
        }
        boxSum(productX, into: level.xx, w, h)
        boxSum(productY, into: level.yy, w, h)
        boxSum(sumX, into: level.xy, w, h)
    }

    /// One Gauss–Newton step of the flow at this level.
    private func refine(_ level: PyramidLevel) {
        let w = level.width, h = level.height
        let maxX = Float(w - 1), maxY = Float(h - 1)
        for y in 0..<h {
            for x in 0..<w {
                let i = y * w + x
                let warped = sample(level.current, w, Float(x) + level.u[i], Float(y) + level.v[i], maxX, maxY)
                let temporal = warped - level.previous[i]
                productX[i] = level.gradientX[i] * temporal
                productY[i] = level.gradientY[i] * temporal
            }
        }
        boxSum(productX, into: sumX, w, h)
        boxSum(productY, into: sumY, w, h)
        // A step never moves a pixel further than the level is wide: a guard against a nearly singular
        // system, not a limit real motion reaches.
        let limit = Float(max(w, h))
        for i in 0..<level.count {
            let a = Double(level.xx[i]) + lambda, b = Double(level.xy[i]), c = Double(level.yy[i]) + lambda
            let det = a * c - b * b
            guard det > 1e-12 else { continue }
            let bx = Double(sumX[i]), by = Double(sumY[i])
            let du = Float(-(c * bx - b * by) / det), dv = Float(-(a * by - b * bx) / det)
            level.u[i] = clamp(level.u[i] + du, -limit, limit)
            level.v[i] = clamp(level.v[i] + dv, -limit, limit)
        }
    }

    /// The coarser level's flow, doubled, as the starting point of the finer level.
    private func upsample(from coarse: PyramidLevel, to fine: PyramidLevel) {
        let maxX = Float(coarse.width - 1), maxY = Float(coarse.height - 1)
        for y in 0..<fine.height {
            // Coarse pixel j averages fine pixels 2j and 2j + 1: fine y sits at coarse (y − 0.5) / 2.
            let cy = (Float(y) - 0.5) * 0.5
            for x in 0..<fine.width {
                let cx = (Float(x) - 0.5) * 0.5
                let i = y * fine.width + x
                fine.u[i] = 2 * sample(coarse.u, coarse.width, cx, cy, maxX, maxY)
                fine.v[i] = 2 * sample(coarse.v, coarse.width, cx, cy, maxX, maxY)
            }
        }
    }

    // MARK: - Image helpers

    static let contrast: Float = 0.2, maxGain: Float = 10

    /// Zero mean, standard deviation `contrast` (or as close as `maxGain` allows).
    private func normalise(_ p: UnsafeMutablePointer<Float>, count n: Int) {
        var sum: Double = 0, sumSquares: Double = 0
        for i in 0..<n { let x = Double(p[i]); sum += x; sumSquares += x * x }
        let mean = sum / Double(n)
        let deviation = max(0, sumSquares / Double(n) - mean * mean).squareRoot()
        let gain = Float(deviation) * Self.maxGain > Self.contrast ? Self.contrast / Float(deviation) : Self.maxGain
        let m = Float(mean)
        for i in 0..<n { p[i] = (p[i] - m) * gain }
    }

    /// Bilinear sample with clamping at the borders (a NaN coordinate reads the corner, never crashes).
    @inline(__always)
    private func sample(_ p: UnsafeMutablePointer<Float>, _ w: Int, _ x: Float, _ y: Float, _ maxX: Float, _ maxY: Float) -> Float {
        let cx = x > 0 ? (x < maxX ? x : maxX) : 0
        let cy = y > 0 ? (y < maxY ? y : maxY) : 0
        let x0 = Int(cx), y0 = Int(cy)
        let x1 = cx < maxX ? x0 + 1 : x0, y1 = cy < maxY ? y0 + 1 : y0
        let fx = cx - Float(x0), fy = cy - Float(y0)
        let top = p[y0 * w + x0] + fx * (p[y0 * w + x1] - p[y0 * w + x0])
        let bottom = p[y1 * w + x0] + fx * (p[y1 * w + x1] - p[y1 * w + x0])
        return top + fy * (bottom - top)
    }

    @inline(__always)
    private func clamp(_ x: Float, _ lo: Float, _ hi: Float) -> Float { x > lo ? (x < hi ? x : hi) : lo }

    /// [1 2 1] / 4 in both directions, edges repeated.
    private func blur(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, _ w: Int, _ h: Int) {
        let temp = sumY   // free outside `refine`
        for y in 0..<h {
            let row = y * w
            for x in 0..<w {
                let left = max(x - 1, 0), right = min(x + 1, w - 1)
                temp[row + x] = 0.25 * (input[row + left] + 2 * input[row + x] + input[row + right])
            }
        }
        for y in 0..<h {
            let up = max(y - 1, 0) * w, row = y * w, down = min(y + 1, h - 1) * w
            for x in 0..<w { output[row + x] = 0.25 * (temp[up + x] + 2 * temp[row + x] + temp[down + x]) }
        }
    }

    /// 2 × 2 averages; an odd last row or column is dropped.
    private func halve(_ input: UnsafePointer<Float>, _ w: Int, into output: UnsafeMutablePointer<Float>, _ cw: Int, _ ch: Int) {
        for y in 0..<ch {
            let r0 = 2 * y * w, r1 = r0 + w
            for x in 0..<cw {
                output[y * cw + x] = 0.25 * (input[r0 + 2 * x] + input[r0 + 2 * x + 1] + input[r1 + 2 * x] + input[r1 + 2 * x + 1])
            }
        }
    }

    /// Sums over the (2r + 1)² window around each pixel, counting only pixels inside the frame
    /// (running sums: the cost does not depend on the window).
    private func boxSum(_ input: UnsafeMutablePointer<Float>, into output: UnsafeMutablePointer<Float>, _ w: Int, _ h: Int) {
        let r = radius
        let temp = scratch
        for y in 0..<h {
            let row = input + y * w, out = temp + y * w
            var s: Float = 0
            for x in 0...min(r, w - 1) { s += row[x] }
            out[0] = s
            for x in 1..<max(1, w) {
                if x + r < w { s += row[x + r] }
                if x - r - 1 >= 0 { s -= row[x - r - 1] }
                out[x] = s
            }
        }
        columnSums.update(repeating: 0, count: w)
        for y in 0...min(r, h - 1) {
            for x in 0..<w { columnSums[x] += temp[y * w + x] }
        }
        for x in 0..<w { output[x] = columnSums[x] }
        for y in 1..<max(1, h) {
            let add = y + r < h ? temp + (y + r) * w : nil
            let remove = y - r - 1 >= 0 ? temp + (y - r - 1) * w : nil
            if let add { for x in 0..<w { columnSums[x] += add[x] } }
            if let remove { for x in 0..<w { columnSums[x] -= remove[x] } }
            for x in 0..<w { output[y * w + x] = columnSums[x] }
        }
    }
}

/// One level of the image pyramid: the previous and current frames at this scale, the previous frame's
/// gradients and structure tensor (window sums of gx², gx·gy, gy²), and the flow being refined.
final class PyramidLevel {
    let width: Int, height: Int
    var count: Int { width * height }
    private(set) var previous: UnsafeMutablePointer<Float>
    private(set) var current: UnsafeMutablePointer<Float>
    let gradientX: UnsafeMutablePointer<Float>, gradientY: UnsafeMutablePointer<Float>
    let xx: UnsafeMutablePointer<Float>, xy: UnsafeMutablePointer<Float>, yy: UnsafeMutablePointer<Float>
    let u: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>

    init(width: Int, height: Int) {
        self.width = width; self.height = height
        let n = width * height
        func buffer() -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: n); p.initialize(repeating: 0, count: n); return p
        }
        previous = buffer(); current = buffer()
        gradientX = buffer(); gradientY = buffer(); xx = buffer(); xy = buffer(); yy = buffer(); u = buffer(); v = buffer()
    }

    deinit {
        for p in [previous, current, gradientX, gradientY, xx, xy, yy, u, v] { p.deallocate() }
    }

    /// The current frame becomes the previous one; the old previous buffer is reused for the next frame.
    func swap() { Swift.swap(&previous, &current) }
}
