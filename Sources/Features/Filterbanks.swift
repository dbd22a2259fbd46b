import Foundation

/// The filterbanks of the feature set, built exactly as librosa builds them (float64, then float32),
/// so the offline features can be checked against librosa fixtures.
public enum Filterbanks {
    // MARK: Mel (Slaney scale, Slaney area normalisation)

    static let fSp = 200.0 / 3, minLogHz = 1000.0, minLogMel = 15.0, logStep = log(6.4) / 27

    public static func hzToMel(_ f: Double) -> Double {
        f >= minLogHz ? minLogMel + log(f / minLogHz) / logStep : f / fSp
    }

    public static func melToHz(_ m: Double) -> Double {
        m >= minLogMel ? minLogHz * exp(logStep * (m - minLogMel)) : fSp * m
    }

    /// Centre frequencies of `n` mel bands between fmin and fmax (the band edges are n + 2 points).
    public static func melEdges(bands n: Int, fmin: Double, fmax: Double) -> [Double] {
        let lo = hzToMel(fmin), hi = hzToMel(fmax)
        return (0..<(n + 2)).map { melToHz(lo + (hi - lo) * Double($0) / Double(n + 1)) }
    }

    public static func mel(sampleRate sr: Double, nFFT: Int, bands n: Int = 128, fmin: Double = 0, fmax: Double? = nil) -> SparseFilterbank {
        let bins = nFFT / 2 + 1
        let fftFreqs = (0..<bins).map { Double($0) * sr / Double(nFFT) }
        let edges = melEdges(bands: n, fmin: fmin, fmax: fmax ?? sr / 2)
        var dense = [[Float]]()
        for i in 0..<n {
            let lowerWidth = edges[i + 1] - edges[i], upperWidth = edges[i + 2] - edges[i + 1]
            let enorm = 2 / (edges[i + 2] - edges[i])
            dense.append(fftFreqs.map { f in
                let lower = (f - edges[i]) / lowerWidth
                let upper = (edges[i + 2] - f) / upperWidth
                return Float(max(0, min(lower, upper)) * enorm)
            })
        }
        return SparseFilterbank(dense: dense)
    }

    // MARK: Chroma (Ellis's Gaussian bumps, as librosa.filters.chroma)

    public static func chroma(sampleRate sr: Double, nFFT: Int, tuning: Double = 0, centreOctave: Double = 5,
                              octaveWidth: Double = 2) -> SparseFilterbank {
        let nChroma = 12.0
        let a440 = 440 * pow(2, tuning / nChroma)
        var frqbins = (1..<nFFT).map { k -> Double in
            let f = Double(k) * sr / Double(nFFT)
            return nChroma * log2(f / (a440 / 16))
        }
        frqbins.insert(frqbins[0] - 1.5 * nChroma, at: 0)
        var binWidth = [Double](repeating: 1, count: nFFT)
        for k in 0..<(nFFT - 1) { binWidth[k] = max(frqbins[k + 1] - frqbins[k], 1) }
        let half = (nChroma / 2).rounded()
        var wts = [[Double]](repeating: [Double](repeating: 0, count: nFFT), count: 12)
        for c in 0..<12 {
            for k in 0..<nFFT {
                let d = fmod(frqbins[k] - Double(c) + half + 10 * nChroma, nChroma) - half
                wts[c][k] = exp(-0.5 * pow(2 * d / binWidth[k], 2))
            }
        }
        for k in 0..<nFFT {   // L2-normalise each column (bin)
            let norm = (0..<12).reduce(0.0) { $0 + wts[$1][k] * wts[$1][k] }.squareRoot()
            if norm > 0 { for c in 0..<12 { wts[c][k] /= norm } }
        }
        for k in 0..<nFFT {   // emphasise the octaves around centreOctave
            let g = exp(-0.5 * pow((frqbins[k] / nChroma - centreOctave) / octaveWidth, 2))
            for c in 0..<12 { wts[c][k] *= g }
        }
        // Roll so that row 0 is C (the bumps above are centred on A).
        let bins = nFFT / 2 + 1
        let rolled = (0..<12).map { c in wts[(c + 3) % 12][0..<bins].map { Float($0) } }
        return SparseFilterbank(dense: rolled)
    }
}
