import Foundation

/// Predominant local pulse (Grosche & Müller), offline: a Fourier tempogram of the onset envelope,
/// the strongest tempo in range kept per frame at unit magnitude, inverted back to a pulse curve.
public struct PulseAnalysis {
    /// PLP curve in [0, 1], one value per frame.
    public let pulse: [Float]
    /// Local tempo (BPM) per frame: the tempogram's peak in range.
    public let localTempo: [Float]
    /// The track's tempo: peak of the mean tempogram, refined between bins.
    public let tempo: Double

    /// - Parameters:
    ///   - onsets: onset envelope at `frameRate` frames per second.
    ///   - window: tempogram window in frames (the spec: 1024, or the whole track if shorter).
    public init(onsets: [Float], frameRate: Double, window requested: Int = 1024,
                tempoRange: ClosedRange<Double> = 60...180) {
        let n = onsets.count
        let win = max(16, min(requested, 2 * ((n + 1) / 2)))   // even, no longer than the track
        let bins = win / 2 + 1
        let bpm = (0..<bins).map { Double($0) * frameRate * 60 / Double(win) }
        let inRange = (0..<bins).filter { tempoRange.contains(bpm[$0]) && $0 > 0 && $0 < win / 2 }
        guard n > 0, let firstBin = inRange.first, let lastBin = inRange.last else {
            pulse = [Float](repeating: 0, count: n); localTempo = [Float](repeating: 0, count: n); tempo = 0
            return
        }
        let fft = RealFFT(size: win)
        let window = Window.hann(win)
        let columns = n + 1   // centred, hop 1
        var peakBin = [Int](repeating: 0, count: columns)
        var peakPhase = [Float](repeating: 0, count: columns)
        var meanMagnitude = [Double](repeating: 0, count: bins)
        var output = [Float](repeating: 0, count: n)
        var tempi = [Float](repeating: 0, count: n)
        var valid = [Bool](repeating: false, count: columns)
        for t in 0..<columns {
            let start = t - win / 2
            for j in 0..<win {
                let i = start + j
                fft.input[j] = (i >= 0 && i < n ? onsets[i] : 0) * window[j]   // zero padding
            }
            fft.execute()
            var best = -1.0, bestBin = firstBin
            for b in firstBin...lastBin {
                let re = Double(fft.output[2 * b]), im = Double(fft.output[2 * b + 1])
                let mag = (re * re + im * im).squareRoot()
                meanMagnitude[b] += mag
                if mag > best { best = mag; bestBin = b }
            }
            peakBin[t] = bestBin
            peakPhase[t] = atan2f(fft.output[2 * bestBin + 1], fft.output[2 * bestBin])
            valid[t] = best > 0
            if t < n { tempi[t] = Float(bpm[bestBin]) }
        }
        // Inverse STFT (hop 1) of the unit-magnitude peaks: each column contributes
        // (2 / win) · cos(2π b j / win + φ) under the window; normalised by the window sum-square.
        var sum = [Double](repeating: 0, count: n)
        var windowSquares = [Double](repeating: 0, count: n)
        var cosTable = [Double](repeating: 0, count: win), sinTable = [Double](repeating: 0, count: win)
        for j in 0..<win { cosTable[j] = cos(2 * Double.pi * Double(j) / Double(win)); sinTable[j] = sin(2 * Double.pi * Double(j) / Double(win)) }
        for t in 0..<columns {
            let b = peakBin[t], c = Double(cos(peakPhase[t])), s = Double(sin(peakPhase[t]))
            for j in 0..<win {
                let i = t - win / 2 + j
                guard i >= 0 && i < n else { continue }
                let w = Double(window[j])
                windowSquares[i] += w * w
                guard valid[t] else { continue }
                let idx = (b * j) % win
                sum[i] += w * (2 / Double(win)) * (cosTable[idx] * c - sinTable[idx] * s)
            }
        }
        var peak: Float = 0
        for i in 0..<n {
            let v = windowSquares[i] > Double(Float.leastNormalMagnitude) ? sum[i] / windowSquares[i] : sum[i]
            output[i] = max(0, Float(v))
            peak = max(peak, output[i])
        }
        if peak > 0 { for i in 0..<n { output[i] /= peak } }
        pulse = output
        localTempo = tempi
        // Track tempo: the strongest mean bin, refined by a parabola through its neighbours.
        var bestBin = firstBin
        for b in firstBin...lastBin where meanMagnitude[b] > meanMagnitude[bestBin] { bestBin = b }
        var offset = 0.0
        if bestBin > firstBin && bestBin < lastBin {
            let a = meanMagnitude[bestBin - 1], m = meanMagnitude[bestBin], c = meanMagnitude[bestBin + 1]
            let denom = a - 2 * m + c
            if denom < 0 { offset = max(-0.5, min(0.5, 0.5 * (a - c) / denom)) }
        }
        tempo = (Double(bestBin) + offset) * frameRate * 60 / Double(win)
    }

    /// Beat frames: local maxima of the pulse (each positive lobe of the pulse is one beat).
    public var beatFrames: [Int] {
        var beats = [Int]()
        var i = 0
        while i < pulse.count {
            guard pulse[i] > 0 else { i += 1; continue }
            var j = i, best = i
            while j < pulse.count && pulse[j] > 0 { if pulse[j] > pulse[best] { best = j }; j += 1 }
            beats.append(best)
            i = j
        }
        return beats
    }
}
