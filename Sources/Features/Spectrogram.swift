import Foundation

/// Frame positions of a feature sequence at a video frame rate: frame k is centred on sample
/// round(k · sampleRate / fps), as a centred STFT with a (possibly fractional) hop.
public struct FrameGrid: Equatable, Sendable {
    public let sampleRate: Double
    public let fps: Double
    public let count: Int

    public init(sampleRate: Double, fps: Double, sampleCount: Int) {
        self.sampleRate = sampleRate
        self.fps = fps
        let hop = sampleRate / fps
        count = sampleCount > 0 ? 1 + Int((Double(sampleCount) / hop).rounded(.down) + 1e-9) : 0
    }

    public var hop: Double { sampleRate / fps }
    @inline(__always) public func centre(_ k: Int) -> Int { Int((Double(k) * hop).rounded()) }
}

/// A spectrogram held frames-major: row k is frame k's `bins` values.
public struct Spectrogram {
    public let frames: Int
    public let bins: Int
    public var values: [Float]

    public init(frames: Int, bins: Int, values: [Float]) {
        self.frames = frames; self.bins = bins; self.values = values
    }

    public init(frames: Int, bins: Int) {
        self.init(frames: frames, bins: bins, values: [Float](repeating: 0, count: frames * bins))
    }

    /// Centred STFT magnitudes (periodic Hann, reflect padding) on a frame grid.
    public static func magnitude(of signal: [Float], grid: FrameGrid, nFFT: Int, progress: ((Double) -> Void)? = nil) -> Spectrogram {
        let fft = RealFFT(size: nFFT)
        let window = Window.hann(nFFT)
        var out = Spectrogram(frames: grid.count, bins: fft.bins)
        let n = signal.count
        let half = nFFT / 2
        signal.withUnsafeBufferPointer { x in
            out.values.withUnsafeMutableBufferPointer { dst in
                for k in 0..<grid.count {
                    let start = grid.centre(k) - half
                    if start >= 0 && start + nFFT <= n {
                        for j in 0..<nFFT { fft.input[j] = x[start + j] * window[j] }
                    } else {
                        for j in 0..<nFFT { fft.input[j] = x[Padding.reflect(start + j, n)] * window[j] }
                    }
                    fft.execute()
                    let row = dst.baseAddress! + k * fft.bins
                    fft.power(into: row)
                    for b in 0..<fft.bins { row[b] = row[b].squareRoot() }
                    if k % 256 == 0 { progress?(Double(k) / Double(max(1, grid.count))) }
                }
            }
        }
        return out
    }

    /// Element-wise square (magnitude → power).
    public func squared() -> Spectrogram {
        Spectrogram(frames: frames, bins: bins, values: values.map { $0 * $0 })
    }

    /// Applies a filterbank to every frame.
    public func applying(_ bank: SparseFilterbank) -> Spectrogram {
        var out = Spectrogram(frames: frames, bins: bank.bands)
        values.withUnsafeBufferPointer { src in
            out.values.withUnsafeMutableBufferPointer { dst in
                for k in 0..<frames { bank.apply(src.baseAddress! + k * bins, into: dst.baseAddress! + k * bank.bands) }
            }
        }
        return out
    }

    public func row(_ k: Int) -> ArraySlice<Float> { values[(k * bins)..<((k + 1) * bins)] }
}

/// Root mean square over frames of `frameLength` samples on the grid (reflect padding, no window).
public func frameRMS(_ signal: [Float], grid: FrameGrid, frameLength: Int) -> [Float] {
    let n = signal.count, half = frameLength / 2
    return signal.withUnsafeBufferPointer { x in
        (0..<grid.count).map { k in
            let start = grid.centre(k) - half
            var sum: Double = 0
            for j in 0..<frameLength {
                let i = start + j
                let v = Double(i >= 0 && i < n ? x[i] : x[Padding.reflect(i, n)])
                sum += v * v
            }
            return Float((sum / Double(frameLength)).squareRoot())
        }
    }
}
