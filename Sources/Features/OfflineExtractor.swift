import Basics
import Foundation

/// The offline feature set of thesis Table 3.1, at any video frame rate. May look into the future
/// (global normalisation, centred windows, smoothing both ways).
public struct OfflineExtractor {
    public var fps: Double
    public var nFFT = 2048
    /// Chroma uses a longer window than the other features: at 2048 samples (21.5 Hz bins at 44.1 kHz)
    /// a bass note smears over neighbouring pitch classes. 8192 samples resolve the bass as the thesis's
    /// CQT did (its lowest bins use windows over a second long).
    public var chromaFFT = 8192
    public var melBands = 128
    public var plpWindow = 1024
    public var hpssKernel = 31
    public var hpssMargin: Float = 8
    public var censSmoothing = 41
    public var dropSigma = 10.0
    public var segmentCounts = Segmentation.defaultCounts

    public init(fps: Double = 24) { self.fps = fps }

    public static let featureNames = ["onsets", "rms", "drop_strength", "chroma", "tonnetz", "mfcc", "spectral_contrast",
                                      "spectral_flatness", "pulse", "tempo", "segments"]

    /// - Parameter progress: called with a stage name and the overall fraction done.
    public func extract(mono signal: [Float], sampleRate sr: Double,
                        progress: ((String, Double) -> Void)? = nil) throws -> FeatureSet {
        guard fps > 0, fps <= 1000 else { throw UsageError("fps must be between 0 and 1000 (got \(fps))") }
        guard sr >= 1000 else { throw UsageError("sample rate \(sr) Hz is too low to analyse") }
        let grid = FrameGrid(sampleRate: sr, fps: fps, sampleCount: signal.count)
        guard grid.count > 0 else { throw UsageError("the audio is empty") }
        let frames = grid.count
        let stages = OfflineStages(sampleRate: sr, nFFT: nFFT, melBands: melBands)

        progress?("spectrogram", 0)
        let magnitude = Spectrogram.magnitude(of: signal, grid: grid, nFFT: nFFT) { progress?("spectrogram", 0.25 * $0) }
        progress?("harmonic/percussive separation", 0.25)
        let parts = HPSS.separate(magnitude, kernel: hpssKernel, margin: hpssMargin)
        progress?("features", 0.6)

        var set = FeatureSet(sampleRate: sr, fps: fps, frames: frames, causal: false)
        let onsetRaw = stages.onsetEnvelope(melDB: stages.melDB(power: parts.percussive.squared()))
        set.append(Feature(name: "onsets", dims: 1, values: Statistics.minMaxNormalized(onsetRaw)))
        let rms = frameRMS(signal, grid: grid, frameLength: nFFT)
        set.append(Feature(name: "rms", dims: 1, values: rms))
        set.append(Feature(name: "drop_strength", dims: 1, values: OfflineStages.dropStrength(rms: rms, sigma: dropSigma)))
        let chroma = Tonality.cens(chromaOfHarmonicPart(signal, grid: grid, shortParts: parts, stages: stages),
                                   frames: frames, smoothing: censSmoothing)
        set.append(Feature(name: "chroma", dims: 12, values: chroma))
        set.append(Feature(name: "tonnetz", dims: 6, values: OfflineStages.tonnetz(chroma: chroma, frames: frames)))
        let fullMelDB = stages.melDB(power: magnitude.squared())
        let mfcc = stages.mfcc(melDB: fullMelDB)
        set.append(Feature(name: "mfcc", dims: stages.shape.mfccCount, values: mfcc))
        set.append(Feature(name: "spectral_contrast", dims: SpectralShape.contrastBandCount, values: stages.contrast(magnitude: magnitude)))
        set.append(Feature(name: "spectral_flatness", dims: 1, values: stages.flatness(magnitude: magnitude)))

        progress?("pulse", 0.8)
        let pulse = PulseAnalysis(onsets: onsetRaw, frameRate: fps, window: plpWindow)
        set.append(Feature(name: "pulse", dims: 1, values: pulse.pulse))
        set.append(Feature(name: "tempo", dims: 1, values: pulse.localTempo))
        set.summary["tempo"] = pulse.tempo

        progress?("segmentation", 0.9)
        let labels = try Segmentation.labels(spectrum: fullMelDB.values, spectrumDims: melBands, mfcc: mfcc,
                                             mfccDims: stages.shape.mfccCount, frames: frames,
                                             beats: pulse.beatFrames, counts: segmentCounts)
        var segments = [Float](repeating: 0, count: frames * segmentCounts.count)
        for (j, perK) in labels.enumerated() { for k in 0..<frames { segments[k * segmentCounts.count + j] = Float(perK[k]) } }
        set.append(Feature(name: "segments", dims: segmentCounts.count, values: segments))
        progress?("done", 1)
        return set
    }
}

extension OfflineExtractor {
    /// Raw chroma (frames × 12) of the harmonic part, from a `chromaFFT`-sample STFT with its own
    /// harmonic/percussive separation.
    func chromaOfHarmonicPart(_ signal: [Float], grid: FrameGrid, shortParts: HPSS.Result, stages: OfflineStages) -> [Float] {
        guard chromaFFT != nFFT else { return stages.chroma(power: shortParts.harmonic.squared()) }
        let long = Spectrogram.magnitude(of: signal, grid: grid, nFFT: chromaFFT)
        let harmonic = HPSS.separate(long, kernel: hpssKernel, margin: hpssMargin).harmonic
        let bank = Filterbanks.chroma(sampleRate: grid.sampleRate, nFFT: chromaFFT)
        return harmonic.squared().applying(bank).values
    }
}

/// The building blocks of the offline set, public so that each can be checked against librosa.
public struct OfflineStages {
    public let sampleRate: Double
    public let nFFT: Int
    public let mel: SparseFilterbank
    public let chromaBank: SparseFilterbank
    public let shape: SpectralShape

    public init(sampleRate: Double, nFFT: Int = 2048, melBands: Int = 128) {
        self.sampleRate = sampleRate; self.nFFT = nFFT
        mel = Filterbanks.mel(sampleRate: sampleRate, nFFT: nFFT, bands: melBands, fmax: min(11_025, sampleRate / 2))
        chromaBank = Filterbanks.chroma(sampleRate: sampleRate, nFFT: nFFT)
        shape = SpectralShape(sampleRate: sampleRate, nFFT: nFFT, melBands: melBands)
    }

    /// Mel power in dB, floored 80 dB below the global maximum.
    public func melDB(power: Spectrogram) -> Spectrogram {
        var m = power.applying(mel)
        Decibels.powerToDB(&m.values)
        return m
    }

    /// Spectral flux: mean over bands of the positive lag-1 difference (frame 0 is 0).
    public func onsetEnvelope(melDB: Spectrogram) -> [Float] {
        let b = melDB.bins
        var out = [Float](repeating: 0, count: melDB.frames)
        for k in 1..<max(1, melDB.frames) {
            var acc: Float = 0
            for i in 0..<b { acc += max(0, melDB.values[k * b + i] - melDB.values[(k - 1) * b + i]) }
            out[k] = acc / Float(b)
        }
        return out
    }

    /// Raw STFT chroma (no normalisation), frames × 12.
    public func chroma(power: Spectrogram) -> [Float] { power.applying(chromaBank).values }

    public func mfcc(melDB: Spectrogram) -> [Float] {
        var out = [Float](repeating: 0, count: melDB.frames * shape.mfccCount)
        melDB.values.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for k in 0..<melDB.frames {
                    shape.mfcc(melDB: src.baseAddress! + k * melDB.bins, into: dst.baseAddress! + k * shape.mfccCount)
                }
            }
        }
        return out
    }

    /// Spectral contrast in dB, frames × 7; peaks and valleys each floored 80 dB below their global maximum.
    public func contrast(magnitude: Spectrogram) -> [Float] {
        let bands = SpectralShape.contrastBandCount
        var peaks = [Float](repeating: 0, count: magnitude.frames * bands)
        var valleys = peaks
        var scratch = [Float](repeating: 0, count: 128)
        magnitude.values.withUnsafeBufferPointer { m in
            peaks.withUnsafeMutableBufferPointer { p in
                valleys.withUnsafeMutableBufferPointer { v in
                    scratch.withUnsafeMutableBufferPointer { s in
                        for k in 0..<magnitude.frames {
                            shape.contrastPeaksValleys(magnitude: m.baseAddress! + k * magnitude.bins,
                                                       peaks: p.baseAddress! + k * bands, valleys: v.baseAddress! + k * bands,
                                                       scratch: s.baseAddress!)
                        }
                    }
                }
            }
        }
        Decibels.powerToDB(&peaks)
        Decibels.powerToDB(&valleys)
        return zip(peaks, valleys).map { $0 - $1 }
    }

    public func flatness(magnitude: Spectrogram) -> [Float] {
        let power = magnitude.squared()
        return power.values.withUnsafeBufferPointer { p in
            (0..<power.frames).map { shape.flatness(power: p.baseAddress! + $0 * power.bins) }
        }
    }

    public static func tonnetz(chroma: [Float], frames: Int) -> [Float] {
        var out = [Float](repeating: 0, count: frames * 6)
        chroma.withUnsafeBufferPointer { c in
            out.withUnsafeMutableBufferPointer { o in
                for k in 0..<frames { Tonality.tonnetz(chroma: c.baseAddress! + 12 * k, into: o.baseAddress! + 6 * k) }
            }
        }
        return out
    }

    /// RMS smoothed by a Gaussian (σ frames, SciPy reflect edges, truncated at 4σ), emphasised around
    /// its median: x̂ = min-max(x); y = x̂ · (1 + tanh(10 (x̂ − median x̂))); y rescaled to x's range.
    public static func dropStrength(rms: [Float], sigma: Double) -> [Float] {
        let n = rms.count
        guard n > 0 else { return [] }
        let radius = Int(4 * sigma + 0.5)
        var kernel = (-radius...radius).map { exp(-0.5 * Double($0 * $0) / (sigma * sigma)) }
        let total = kernel.reduce(0, +)
        kernel = kernel.map { $0 / total }
        let smooth: [Float] = (0..<n).map { i in
            var acc = 0.0
            for (j, w) in kernel.enumerated() { acc += w * Double(rms[Padding.symmetric(i + j - radius, n)]) }
            return Float(acc)
        }
        let lo = smooth.min()!, hi = smooth.max()!
        let unit = Statistics.minMaxNormalized(smooth)
        let med = Statistics.median(unit)
        let emphasised = unit.map { $0 * (1 + tanhf(10 * ($0 - med))) }
        return Statistics.minMaxNormalized(emphasised).map { lo + (hi - lo) * $0 }
    }
}
