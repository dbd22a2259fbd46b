import Basics
import Foundation

/// The causal (live) feature set, computed incrementally from a stream of mono samples.
///
/// Everything happens at absolute sample positions: spectral analysis every `analysisHop` samples
/// over the latest `windowSize` samples, and a row at the end of every video frame
/// (sample round((k + 1) · sampleRate / fps)). So the rows do not depend on how the stream was cut
/// into chunks. After `init`, `process` allocates nothing: it is safe for the live frame loop.
public final class CausalExtractor {
    public let sampleRate: Double
    public let fps: Double
    public let windowSize = 2048
    public let analysisHop = 512
    /// Chroma looks at a longer window (see OfflineExtractor.chromaFFT), refreshed every fourth hop:
    /// it is smoothed over half a second anyway.
    public let chromaWindowSize = 8192
    let chromaEvery = 4
    private let ringSize = 8192
    public var width: Int { CausalLayout.width }
    public private(set) var framesEmitted = 0
    public private(set) var samplesConsumed = 0

    private let fft: RealFFT
    private let chromaFFT: RealFFT
    private let chromaWindow: UnsafeMutablePointer<Float>
    private let chromaPower: UnsafeMutablePointer<Float>
    private var hopsSinceChroma = 0
    private let mel: SparseFilterbank
    private let chromaBank: SparseFilterbank
    private let shape: SpectralShape
    private let bins: Int
    private let melBands = 128
    /// Mel band ranges of the three onset bands (low < 200 Hz, mid 200 Hz–4 kHz, high > 4 kHz).
    private let melBandSplits: (Int, Int)
    private let binSplits: (Int, Int)
    private let chromaAlpha: Float

    private let ring: UnsafeMutablePointer<Float>
    private var ringPos = 0
    private var nextHopAt: Int
    private var nextFrameAt: Int
    private let window: UnsafeMutablePointer<Float>
    private let power: UnsafeMutablePointer<Float>
    private let magnitude: UnsafeMutablePointer<Float>
    private let melPower: UnsafeMutablePointer<Float>
    private let melDB: UnsafeMutablePointer<Float>
    private let previousMelDB: UnsafeMutablePointer<Float>
    private let chromaRaw: UnsafeMutablePointer<Float>
    private let chromaSmooth: UnsafeMutablePointer<Float>
    private let scratch: UnsafeMutablePointer<Float>
    private let row: UnsafeMutablePointer<Float>
    private var fluxSinceFrame: (Float, Float, Float, Float) = (0, 0, 0, 0)
    private var bandRMS: (Float, Float, Float) = (0, 0, 0)
    private var windowEnergy: Float = 0
    private var hopsSincePulseUpdate = 0
    private let pulse: PulseTracker
    private let drop: DropTracker

    public init(sampleRate: Double, fps: Double) throws {
        guard sampleRate >= 8_000, sampleRate <= 768_000 else { throw UsageError("sample rate \(sampleRate) Hz is outside 8–768 kHz") }
        guard fps >= 1, fps <= 1_000 else { throw UsageError("fps \(fps) is outside 1–1000") }
        self.sampleRate = sampleRate
        self.fps = fps
        fft = RealFFT(size: windowSize)
        bins = windowSize / 2 + 1
        mel = Filterbanks.mel(sampleRate: sampleRate, nFFT: windowSize, bands: melBands, fmax: min(11_025, sampleRate / 2))
        chromaBank = Filterbanks.chroma(sampleRate: sampleRate, nFFT: chromaWindowSize)
        chromaFFT = RealFFT(size: chromaWindowSize)
        shape = SpectralShape(sampleRate: sampleRate, nFFT: windowSize, melBands: melBands)
        let centres = Filterbanks.melEdges(bands: melBands, fmin: 0, fmax: min(11_025, sampleRate / 2))[1...melBands]
        melBandSplits = (centres.filter { $0 < 200 }.count, centres.filter { $0 < 4_000 }.count)
        let binHz = sampleRate / Double(windowSize)
        binSplits = (Int((200 / binHz).rounded(.up)), min(bins, Int((4_000 / binHz).rounded(.up))))
        chromaAlpha = Float(exp(-Double(analysisHop * chromaEvery) / (0.5 * sampleRate)))
        nextHopAt = analysisHop
        nextFrameAt = Int((sampleRate / fps).rounded())

        func buffer(_ n: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: n); p.initialize(repeating: 0, count: n); return p
        }
        ring = buffer(ringSize); window = buffer(windowSize)
        chromaWindow = buffer(chromaWindowSize); chromaPower = buffer(chromaWindowSize / 2 + 1)
        let cw = Window.hann(chromaWindowSize)
        for i in 0..<chromaWindowSize { chromaWindow[i] = cw[i] }
        power = buffer(bins); magnitude = buffer(bins); scratch = buffer(max(bins, 256))
        melPower = buffer(melBands); melDB = buffer(melBands); previousMelDB = buffer(melBands)
        chromaRaw = buffer(12); chromaSmooth = buffer(12); row = buffer(CausalLayout.width)
        let w = Window.hann(windowSize)
        for i in 0..<windowSize { window[i] = w[i] }
        var energy: Float = 0
        for i in 0..<windowSize { energy += w[i] * w[i] }
        windowEnergy = energy
        for i in 0..<melBands { previousMelDB[i] = Decibels.db(0) }
        pulse = PulseTracker(hopRate: sampleRate / Double(analysisHop))
        drop = DropTracker(fps: fps)
    }

    deinit {
        for p in [ring, window, chromaWindow, chromaPower, power, magnitude, scratch, melPower, melDB, previousMelDB, chromaRaw, chromaSmooth, row] {
            p.deallocate()
        }
    }

    /// The sample just after the newest emitted row: everything before it has reached a row; samples
    /// from here to `samplesConsumed` wait for the next one (what the live latency measurement needs).
    public var lastRowEndSample: Int { framesEmitted == 0 ? 0 : Int((Double(framesEmitted) * sampleRate / fps).rounded()) }

    /// The sample that completes the next row (the live loop sleeps until it has arrived).
    public var nextRowEndSample: Int { nextFrameAt }

    /// Feeds mono samples; `emit(frameIndex, row)` is called for every video frame completed by them.
    /// The row buffer is reused: copy what you keep.
    @inline(__always)
    public func process(_ samples: UnsafeBufferPointer<Float>, emit: (Int, UnsafeBufferPointer<Float>) -> Void) {
        var index = 0
        let count = samples.count
        while index < count {
            let nextEvent = min(nextHopAt, nextFrameAt)
            let take = min(count - index, nextEvent - samplesConsumed)
            for j in 0..<take {
                let v = samples[index + j]
                ring[ringPos] = v.isFinite ? v : 0
                ringPos = (ringPos + 1) & (ringSize - 1)
            }
            index += take
            samplesConsumed += take
            if samplesConsumed == nextHopAt {
                analyse()
                nextHopAt += analysisHop
            }
            if samplesConsumed == nextFrameAt {
                finishFrame()
                emit(framesEmitted, UnsafeBufferPointer(start: row, count: CausalLayout.width))
                framesEmitted += 1
                nextFrameAt = Int((Double(framesEmitted + 1) * sampleRate / fps).rounded())
            }
        }
    }

    /// One spectral analysis over the latest window.
    private func analyse() {
        let start = ringPos - windowSize   // the latest windowSize samples of the ring
        for j in 0..<windowSize { fft.input[j] = ring[(start + j) & (ringSize - 1)] * window[j] }
        fft.execute()
        fft.power(into: power)
        // Mel flux per band group, positive part, averaged; the maximum since the last frame is reported.
        mel.apply(power, into: melPower)
        var full: Float = 0, low: Float = 0, mid: Float = 0, high: Float = 0
        for i in 0..<melBands {
            let db = Decibels.db(melPower[i])
            melDB[i] = db
            let rise = max(0, db - previousMelDB[i])
            previousMelDB[i] = db
            full += rise
            if i < melBandSplits.0 { low += rise } else if i < melBandSplits.1 { mid += rise } else { high += rise }
        }
        full /= Float(melBands)
        low /= Float(max(1, melBandSplits.0))
        mid /= Float(max(1, melBandSplits.1 - melBandSplits.0))
        high /= Float(max(1, melBands - melBandSplits.1))
        fluxSinceFrame = (max(fluxSinceFrame.0, full), max(fluxSinceFrame.1, low),
                          max(fluxSinceFrame.2, mid), max(fluxSinceFrame.3, high))
        // Band RMS by Parseval over the windowed frame (one-sided spectrum, so interior bins count twice).
        var eLow: Float = 0, eMid: Float = 0, eHigh: Float = 0
        for k in 1..<binSplits.0 { eLow += power[k] }
        for k in binSplits.0..<binSplits.1 { eMid += power[k] }
        for k in binSplits.1..<(bins - 1) { eHigh += power[k] }
        let scale = 2 / (Float(windowSize) * windowEnergy)
        bandRMS = ((eLow * scale).squareRoot(), (eMid * scale).squareRoot(), (eHigh * scale).squareRoot())
        hopsSinceChroma += 1
        if hopsSinceChroma == chromaEvery {
            hopsSinceChroma = 0
            updateChroma()
        }
        // The onset envelope drives the tempo tracker; it re-estimates a few times a second.
        pulse.push(full)
        hopsSincePulseUpdate += 1
        if hopsSincePulseUpdate >= 8 {
            hopsSincePulseUpdate = 0
            pulse.update(now: Double(samplesConsumed) / sampleRate)
        }
    }

    /// Chroma of the latest long window: L1-normalised, then an exponential average (time constant 0.5 s).
    private func updateChroma() {
        for j in 0..<chromaWindowSize { chromaFFT.input[j] = ring[(ringPos + j) & (ringSize - 1)] * chromaWindow[j] }
        chromaFFT.execute()
        chromaFFT.power(into: chromaPower)
        chromaBank.apply(chromaPower, into: chromaRaw)
        var total: Float = 0
        for c in 0..<12 { total += chromaRaw[c] }
        let inv: Float = total > 1e-12 ? 1 / total : 0
        for c in 0..<12 { chromaSmooth[c] = chromaAlpha * chromaSmooth[c] + (1 - chromaAlpha) * chromaRaw[c] * inv }
    }

    /// Fills `row` for the frame that ends now.
    private func finishFrame() {
        let L = CausalLayout.self
        var sum: Float = 0
        let start = ringPos - windowSize
        for j in 0..<windowSize { let v = ring[(start + j) & (ringSize - 1)]; sum += v * v }
        let rms = (sum / Float(windowSize)).squareRoot()
        row[L.onsets] = fluxSinceFrame.0; row[L.onsetsLow] = fluxSinceFrame.1
        row[L.onsetsMid] = fluxSinceFrame.2; row[L.onsetsHigh] = fluxSinceFrame.3
        fluxSinceFrame = (0, 0, 0, 0)
        row[L.rms] = rms
        row[L.rmsLow] = bandRMS.0; row[L.rmsMid] = bandRMS.1; row[L.rmsHigh] = bandRMS.2
        for c in 0..<12 { row[L.chroma + c] = chromaSmooth[c] }
        Tonality.normalize(row + L.chroma, count: 12, l2: true)
        Tonality.tonnetz(chroma: row + L.chroma, into: row + L.tonnetz)
        // MFCC from this frame's mel dB, floored 80 dB below the frame's own peak.
        for i in 0..<melBands { scratch[i] = melPower[i] }
        Decibels.powerToDB(scratch, count: melBands)
        shape.mfcc(melDB: scratch, into: row + L.mfcc)
        for k in 0..<bins { magnitude[k] = power[k].squareRoot() }
        let peaks = scratch, valleys = scratch + 8
        shape.contrastPeaksValleys(magnitude: magnitude, peaks: peaks, valleys: valleys, scratch: scratch + 16)
        SpectralShape.contrastDB(peaks: peaks, valleys: valleys, count: SpectralShape.contrastBandCount, into: row + L.contrast)
        row[L.flatness] = shape.flatness(power: power)
        let now = Double(samplesConsumed) / sampleRate
        let p = pulse.output(at: now)
        row[L.pulse] = p.pulse
        row[L.tempo] = Float(pulse.bpm)
        row[L.beatPhase] = p.beatPhase
        row[L.drop] = drop.update(rms: rms)
    }

    /// Runs over a whole signal (in chunks of `chunk` samples, or random sizes when `chunkSizes` is
    /// given) and collects every row into a feature set.
    public static func extractAll(mono signal: [Float], sampleRate: Double, fps: Double,
                                  chunkSizes: [Int]? = nil, progress: ((Double) -> Void)? = nil) throws -> FeatureSet {
        makeSet(rows: try extractRows(mono: signal, sampleRate: sampleRate, fps: fps, chunkSizes: chunkSizes, progress: progress),
                sampleRate: sampleRate, fps: fps)
    }

    /// The same, as flat rows (frames × CausalLayout.width): what the envelope network reads.
    public static func extractRows(mono signal: [Float], sampleRate: Double, fps: Double,
                                   chunkSizes: [Int]? = nil, progress: ((Double) -> Void)? = nil) throws -> [Float] {
        let extractor = try CausalExtractor(sampleRate: sampleRate, fps: fps)
        var rows = [Float]()
        rows.reserveCapacity(Int(Double(signal.count) / sampleRate * fps + 2) * CausalLayout.width)
        signal.withUnsafeBufferPointer { x in
            var start = 0, turn = 0
            while start < x.count {
                let size = chunkSizes.map { $0[turn % $0.count] } ?? 4096
                let end = min(x.count, start + max(1, size))
                extractor.process(UnsafeBufferPointer(rebasing: x[start..<end])) { _, row in rows.append(contentsOf: row) }
                start = end; turn += 1
                if turn % 64 == 0 { progress?(Double(start) / Double(x.count)) }
            }
        }
        return rows
    }

    /// Splits flat rows into named features.
    public static func makeSet(rows: [Float], sampleRate: Double, fps: Double) -> FeatureSet {
        let w = CausalLayout.width
        let frames = rows.count / w
        var set = FeatureSet(sampleRate: sampleRate, fps: fps, frames: frames, causal: true)
        var offset = 0
        for column in CausalLayout.columns {
            var values = [Float](repeating: 0, count: frames * column.dims)
            for k in 0..<frames { for d in 0..<column.dims { values[k * column.dims + d] = rows[k * w + offset + d] } }
            set.append(Feature(name: column.name, dims: column.dims, values: values))
            offset += column.dims
        }
        return set
    }
}
