import Foundation

/// Analysis windows.
public enum Window {
    /// Periodic Hann (scipy `get_window('hann', n, fftbins=True)`): what STFTs use.
    public static func hann(_ n: Int) -> [Float] {
        (0..<n).map { Float(0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(n))) }
    }

    /// Symmetric Hann (`fftbins=False`): what smoothing filters use.
    public static func symmetricHann(_ n: Int) -> [Float] {
        guard n > 1 else { return [1] }
        return (0..<n).map { Float(0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(n - 1))) }
    }
}

/// Index arithmetic for padded signals.
enum Padding {
    /// NumPy's 'reflect' (the edge sample is not repeated): …, x2, x1 | x0, x1, …, xn-1 | xn-2, …
    @inline(__always)
    static func reflect(_ i: Int, _ n: Int) -> Int {
        if n == 1 { return 0 }
        let period = 2 * (n - 1)
        var j = i % period
        if j < 0 { j += period }
        return j < n ? j : period - j
    }

    /// SciPy ndimage's 'reflect' (the edge sample is repeated): …, x1, x0 | x0, x1, …, xn-1 | xn-1, …
    @inline(__always)
    static func symmetric(_ i: Int, _ n: Int) -> Int {
        let period = 2 * n
        var j = i % period
        if j < 0 { j += period }
        return j < n ? j : period - 1 - j
    }
}
