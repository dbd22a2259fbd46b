/// A closed cubic (Catmull–Rom) spline through points: smooth, passes through every point, and comes
/// back to the first one after a full turn, so loops repeat without a seam.
public enum ClosedSpline {
    /// Writes the spline at `phase` (in turns: 0 and 1 are the first point) into `out` (dims values).
    /// `points`: count × dims, row-major.
    public static func evaluate(points: UnsafePointer<Float>, count: Int, dims: Int, phase: Double, into out: UnsafeMutablePointer<Float>) {
        guard count > 1 else { out.update(from: points, count: dims); return }
        let x = (phase - phase.rounded(.down)) * Double(count)
        let i = min(Int(x), count - 1)
        let t = Float(x - Double(i))
        let p0 = points + ((i + count - 1) % count) * dims, p1 = points + i * dims
        let p2 = points + ((i + 1) % count) * dims, p3 = points + ((i + 2) % count) * dims
        // Catmull–Rom basis weights for the four neighbours.
        let t2 = t * t, t3 = t2 * t
        let a = -0.5 * t3 + t2 - 0.5 * t
        let b = 1.5 * t3 - 2.5 * t2 + 1
        let c = -1.5 * t3 + 2 * t2 + 0.5 * t
        let d = 0.5 * t3 - 0.5 * t2
        for j in 0..<dims { out[j] = a * p0[j] + b * p1[j] + c * p2[j] + d * p3[j] }
    }
}
