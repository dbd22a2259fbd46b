/// Scaled Legendre polynomials over a padded sequence (thesis 4.3.1): column n is √(2n+1)·P_n(x) with x
/// running from −1 to 1 over the padded length L = T + 2·padding, cropped back to the T frames. The
/// padding keeps the polynomials' wild edges out of the song (thesis Appendix A.4).
public struct LegendreBasis {
    public let frames: Int
    public let count: Int
    public let padding: Int
    /// frames × count, row-major: the cropped basis.
    public let values: [Double]

    public init(frames: Int, count: Int, padding: Int = 128) {
        self.frames = frames; self.count = count; self.padding = padding
        let full = Self.padded(frames: frames, count: count, padding: padding)
        values = Array(full[(padding * count)..<((padding + frames) * count)])
    }

    /// (T + 2·padding) × count, row-major, by the three-term recurrence
    /// (n+1) P_{n+1} = (2n+1) x P_n − n P_{n−1}.
    public static func padded(frames: Int, count: Int, padding: Int) -> [Double] {
        let length = frames + 2 * padding
        var out = [Double](repeating: 0, count: length * count)
        for t in 0..<length {
            let x = length > 1 ? 2 * Double(t) / Double(length - 1) - 1 : 0
            var previous = 1.0, current = x
            for n in 0..<count {
                let p: Double
                if n == 0 { p = 1 } else if n == 1 { p = x } else {
                    let next = (Double(2 * n - 1) * x * current - Double(n - 1) * previous) / Double(n)
                    previous = current; current = next
                    p = next
                }
                out[t * count + n] = (Double(2 * n + 1)).squareRoot() * p
            }
        }
        return out
    }
}
