import Basics
import Foundation

/// Per-frame spectral descriptors shared by the offline and causal extractors.
public struct SpectralShape {
    public let bins: Int
    public let mfccCount: Int
    let melBands: Int
    /// DCT-II (orthonormal), mfccCount × melBands, row-major.
    let dct: [Float]
    /// Spectral contrast bands: [first bin, last bin] selected, and how many bins form the quantile.
    let contrastBands: [(range: ClosedRange<Int>, take: Int)]

    public static let contrastBandCount = 7

    public init(sampleRate sr: Double, nFFT: Int, melBands: Int = 128, mfccCount: Int = 20,
                contrastFmin: Double = 200, contrastQuantile: Double = 0.02) {
        bins = nFFT / 2 + 1
        self.mfccCount = mfccCount
        self.melBands = melBands
        var dct = [Float](repeating: 0, count: mfccCount * melBands)
        let n = Double(melBands)
        for k in 0..<mfccCount {
            let scale = k == 0 ? (1 / n).squareRoot() : (2 / n).squareRoot()
            for i in 0..<melBands {
                dct[k * melBands + i] = Float(scale * cos(Double.pi * Double(k) * (2 * Double(i) + 1) / (2 * n)))
            }
        }
        self.dct = dct
        contrastBands = SpectralShape.layoutContrast(sampleRate: sr, nFFT: nFFT, fmin: contrastFmin,
                                                     bands: SpectralShape.contrastBandCount - 1, quantile: contrastQuantile)
    }

    /// librosa's band layout: octaves from fmin; each band after the first also takes the bin just
    /// below its lower edge, the last takes everything to Nyquist, and all but the last drop their
    /// top bin. The quantile count is taken before that drop (rounded half to even, at least 1).
    static func layoutContrast(sampleRate sr: Double, nFFT: Int, fmin: Double, bands: Int, quantile: Double)
        -> [(range: ClosedRange<Int>, take: Int)] {
        let bins = nFFT / 2 + 1
        let freqs = (0..<bins).map { Double($0) * sr / Double(nFFT) }
        var edges = [0.0]
        for b in 0...bands { edges.append(fmin * pow(2, Double(b))) }
        var out = [(range: ClosedRange<Int>, take: Int)]()
        for k in 0...bands {
            let inBand = freqs.indices.filter { freqs[$0] >= edges[k] && freqs[$0] <= edges[k + 1] }
            guard var lo = inBand.first, var hi = inBand.last else { out.append((0...0, 1)); continue }
            if k > 0 { lo -= 1 }
            if k == bands { hi = bins - 1 }
            let count = hi - lo + 1
            let take = max(1, Int((quantile * Double(count)).rounded(.toNearestOrEven)))
            if k < bands { hi -= 1 }
            out.append((lo...hi, take))
        }
        return out
    }

    /// Geometric over arithmetic mean of the power spectrum (1 for white noise, near 0 for a sine).
    /// Digital silence is 0, not noise: librosa clamps every bin to the same floor (amin) and so reports
    /// 1.0, the value of white noise, for a frame of zeros; the synthesizers would then see the gaps in a
    /// set as the noisiest moments. A frame whose mean power is below `silentPower` has no spectrum to
    /// be flat or peaked: it has no noise in it.
    @inline(__always)
    public func flatness(power: UnsafePointer<Float>) -> Float {
        var logSum: Double = 0, sum: Double = 0
        for k in 0..<bins {
            let p = Double(max(Decibels.amin, power[k]))
            logSum += log(p)
            sum += p
        }
        let n = Double(bins)
        guard sum / n >= Self.silentPower else { return 0 }
        return Float(exp(logSum / n) / (sum / n))
    }

    /// Mean bin power below which a frame is digital silence: 20 dB above librosa's floor (amin = 1e-10),
    /// some 60 dB under the dither of a 16-bit recording at this FFT size.
    public static let silentPower = 100 * Double(Decibels.amin)

    /// MFCCs from one frame of mel dB values.
    @inline(__always)
    public func mfcc(melDB: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        dct.withUnsafeBufferPointer { d in
            for k in 0..<mfccCount {
                var acc: Float = 0
                let row = k * melBands
                for i in 0..<melBands { acc += d[row + i] * melDB[i] }
                out[k] = acc
            }
        }
    }

    /// Mean of the `take` smallest (valley) and largest (peak) magnitudes of every band.
    /// `scratch` must hold 2 × 64 floats (the most any band takes at sample rates up to 768 kHz).
    @inline(__always)
    public func contrastPeaksValleys(magnitude: UnsafePointer<Float>, peaks: UnsafeMutablePointer<Float>,
                                     valleys: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        for b in 0..<contrastBands.count {
            let band = contrastBands[b]
            let take = min(band.take, 64)
            let m = Selection.extremeMeans(magnitude + band.range.lowerBound, count: band.range.count, take: take,
                                           low: scratch, high: scratch + 64)
            valleys[b] = m.low
            peaks[b] = m.high
        }
    }

    /// Contrast in dB from peaks and valleys, each vector floored 80 dB below its own maximum.
    @inline(__always)
    public static func contrastDB(peaks: UnsafeMutablePointer<Float>, valleys: UnsafeMutablePointer<Float>,
                                  count: Int, into out: UnsafeMutablePointer<Float>) {
        Decibels.powerToDB(peaks, count: count)
        Decibels.powerToDB(valleys, count: count)
        for b in 0..<count { out[b] = peaks[b] - valleys[b] }
    }
}
