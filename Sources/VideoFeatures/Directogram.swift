import Foundation

/// Motion by direction: flow magnitude summed into direction bins.
///
/// Convention (screen directions, as a viewer sees them): angle 0 is motion to the right (+x), angles
/// grow counter-clockwise with y pointing *up* the screen, so motion up is +90°. Image rows grow
/// downward, hence the flip of v. With 16 bins, bin k is centred on k · 22.5°: 0 right, 4 up, 8 left,
/// 12 down. Each pixel's magnitude goes wholly into its nearest bin.
///
/// Values are divided by the pixel count: the bins sum to the mean flow magnitude in pixels per frame
/// (at the analysis resolution), whatever the frame size. Pixels whose flow leads out of the frame are
/// left out (counted as still): they have no match in the next frame, only an extrapolated guess.
enum Directogram {
    static func measure(u: UnsafePointer<Float>, v: UnsafePointer<Float>, width: Int, height: Int,
                        bins: Int, into out: UnsafeMutablePointer<Float>) {
        out.update(repeating: 0, count: bins)
        let binsPerRadian = Float(bins) / (2 * Float.pi)
        let n = width * height
        let maxX = Float(width - 1), maxY = Float(height - 1)
        for row in 0..<height {
            for column in 0..<width {
                let i = row * width + column
                let x = Float(column) + u[i], y = Float(row) + v[i]
                guard x >= 0, x <= maxX, y >= 0, y <= maxY else { continue }
                let dx = u[i], dy = -v[i]
                let magnitude = (dx * dx + dy * dy).squareRoot()
                guard magnitude > 0 else { continue }
                // atan2 is in [−π, π], so the rounded bin is in [−bins/2, bins/2]: one wrap suffices.
                var bin = Int((atan2(dy, dx) * binsPerRadian).rounded())
                if bin < 0 { bin += bins }
                if bin >= bins { bin -= bins }
                out[bin] += magnitude
            }
        }
        let inverse = 1 / Float(n)
        for k in 0..<bins { out[k] *= inverse }
    }
}
