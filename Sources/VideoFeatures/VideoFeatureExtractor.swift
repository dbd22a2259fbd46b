import Basics
import Features
import Foundation

/// The video features of thesis Table 3.2, one row per frame. `VideoLayout` lists the columns; the
/// conventions are documented where each is computed (ColourStatistics, SpatialSpectrum, OpticalFlow,
/// Directogram).
///
/// Frames are analysed at most `maxShortSide` pixels on the short side: larger frames are averaged down
/// by a whole factor (f × f boxes), and an odd last row or column is dropped. `append` computes
/// everything that needs only the past and allocates nothing after `init`, apart from growing the kept
/// history past `reserveFrames` (never with `keepsHistory: false`): it can run in the live engine's
/// correlation thread. `finish` adds what needs the whole clip.
public final class VideoFeatureExtractor {
    public let width: Int
    public let height: Int
    public let fps: Double
    /// The size the features are computed at.
    public let analysisWidth: Int
    public let analysisHeight: Int
    public let keepsHistory: Bool
    public private(set) var frameCount = 0
    /// The latest frame's row, in `VideoLayout` order (the buffer is reused: copy what you keep).
    public var lastRow: UnsafeBufferPointer<Float> { UnsafeBufferPointer(start: row, count: VideoLayout.width) }

    private let factor: Int
    private var current: UnsafeMutablePointer<UInt8>
    private var previous: UnsafeMutablePointer<UInt8>
    private let grey: UnsafeMutablePointer<Float>
    private let previousSpectrum: UnsafeMutablePointer<Float>
    private let previousDirectogram: UnsafeMutablePointer<Float>
    private let row: UnsafeMutablePointer<Float>
    private let spectrum: SpatialSpectrum
    private let flow: OpticalFlow
    private var history: [Float] = []

    /// - Parameters:
    ///   - width, height: size of the RGB24 frames given to `append` (at least 2 × 2).
    ///   - keepsHistory: keep every row for `finish()`; the live engine reads `lastRow` instead.
    ///   - reserveFrames: rows to make room for up front, so that `append` never allocates.
    public init(width: Int, height: Int, fps: Double, maxShortSide: Int = 128,
                keepsHistory: Bool = true, reserveFrames: Int = 0) {
        precondition(width >= 2 && height >= 2, "video frames must be at least 2 × 2 pixels, not \(width) × \(height)")
        precondition(fps > 0 && maxShortSide >= 4, "fps must be positive and the analysis short side at least 4 pixels")
        self.width = width; self.height = height; self.fps = fps; self.keepsHistory = keepsHistory
        // Dividing by f = ⌈short / max⌉ leaves a short side of at least ⌊max / 2⌋ ≥ 2 pixels.
        factor = max(1, (min(width, height) + maxShortSide - 1) / maxShortSide)
        analysisWidth = (width / factor) & ~1
        analysisHeight = (height / factor) & ~1
        precondition(analysisWidth * analysisHeight <= 3_000_000, "analysis frames are capped at 3 million pixels")
        let pixels = analysisWidth * analysisHeight
        current = .allocate(capacity: 3 * pixels); current.initialize(repeating: 0, count: 3 * pixels)
        previous = .allocate(capacity: 3 * pixels); previous.initialize(repeating: 0, count: 3 * pixels)
        func buffer(_ n: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: n); p.initialize(repeating: 0, count: n); return p
        }
        grey = buffer(pixels)
        previousSpectrum = buffer(VideoLayout.spectrogramBands)
        previousDirectogram = buffer(VideoLayout.directions)
        row = buffer(VideoLayout.width)
        spectrum = SpatialSpectrum(frameWidth: analysisWidth, frameHeight: analysisHeight, bands: VideoLayout.spectrogramBands)
        flow = OpticalFlow(width: analysisWidth, height: analysisHeight)
        if keepsHistory { history.reserveCapacity(reserveFrames * VideoLayout.width) }
    }

    deinit {
        current.deallocate(); previous.deallocate()
        for p in [grey, previousSpectrum, previousDirectogram, row] { p.deallocate() }
    }

    /// Analyses the next frame: `width × height × 3` bytes, RGB, row-major, top row first.
    public func append(rgb24 frame: UnsafeBufferPointer<UInt8>) {
        precondition(frame.count == width * height * 3, "expected \(width) × \(height) RGB24 frames (\(width * height * 3) bytes), got \(frame.count) bytes")
        downscale(frame.baseAddress!)
        let L = VideoLayout.self
        let pixels = analysisWidth * analysisHeight
        let first = frameCount == 0

        let colour = ColourStatistics.measure(rgb: current, previous: first ? nil : UnsafePointer(previous), pixels: pixels,
                                              rgbHistogram: row + L.rgbHistogram, hsvHistogram: row + L.hsvHistogram, grey: grey)
        row[L.variance] = colour.variance
        row[L.difference] = colour.difference

        let bands = L.spectrogramBands
        let spectrogram = row + L.spectrogram
        spectrum.measure(grey: grey, into: spectrogram)
        // Thirds of the 32 bands: 0–10 low, 11–21 mid, 22–31 high.
        let third = (bands + 2) / 3
        row[L.frequencyRMS] = Self.rms(spectrogram, 0, third)
        row[L.frequencyRMS + 1] = Self.rms(spectrogram, third, 2 * third)
        row[L.frequencyRMS + 2] = Self.rms(spectrogram, 2 * third, bands)
        // Spectral flux, as the audio onsets: mean over bands of the positive change.
        var rise: Float = 0
        if !first { for b in 0..<bands { rise += max(0, spectrogram[b] - previousSpectrum[b]) } }
        row[L.spectralOnsets] = rise / Float(bands)
        previousSpectrum.update(from: spectrogram, count: bands)

        let directions = L.directions
        let directogram = row + L.directogram
        if flow.push(grey) {
            Directogram.measure(u: flow.u, v: flow.v, width: analysisWidth, height: analysisHeight, bins: directions, into: directogram)
        } else {
            directogram.update(repeating: 0, count: directions)
        }
        // Flow flux: summed over directions, so it is in pixels per frame like the directogram's total.
        var surge: Float = 0
        for k in 0..<directions { surge += max(0, directogram[k] - previousDirectogram[k]) }
        row[L.flowOnsets] = surge
        previousDirectogram.update(from: directogram, count: directions)

        if keepsHistory { history.append(contentsOf: UnsafeBufferPointer(start: row, count: L.width)) }
        swap(&current, &previous)
        frameCount += 1
    }

    /// Every feature of the frames so far (the extractor can keep going afterwards). Needs `keepsHistory`.
    public func finish() -> FeatureSet {
        precondition(keepsHistory, "finish() needs the rows: create the extractor with keepsHistory: true")
        let frames = frameCount
        var columns: [String: Feature] = [:]
        var offset = 0
        for (name, dims) in VideoLayout.columns {
            var values = [Float](repeating: 0, count: frames * dims)
            for k in 0..<frames {
                for d in 0..<dims { values[k * dims + d] = history[k * VideoLayout.width + offset + d] }
            }
            columns[name] = Feature(name: name, dims: dims, values: values)
            offset += dims
        }
        columns[VideoLayout.adaptiveFrequencyRMS] = Feature(
            name: VideoLayout.adaptiveFrequencyRMS, dims: 1,
            values: Self.adaptiveFrequencyRMS(spectrogram: columns["video_spectrogram"]!.values))
        return FeatureSet(sampleRate: 0, fps: fps, frames: frames, causal: false,
                          features: VideoLayout.featureNames.map { columns[$0]! })
    }

    /// RMS, per frame, of the `choose` spectrogram bands that vary most over these frames (population
    /// variance; ties go to the lower band). Also usable on a rolling window of `lastRow`s.
    public static func adaptiveFrequencyRMS(spectrogram: [Float], bands: Int = VideoLayout.spectrogramBands,
                                            choose: Int = VideoLayout.adaptiveBands) -> [Float] {
        precondition(bands > 0 && choose > 0 && spectrogram.count % bands == 0)
        let frames = spectrogram.count / bands
        guard frames > 0 else { return [] }
        var variance = [Double](repeating: 0, count: bands)
        for b in 0..<bands {
            var sum = 0.0, sumSquares = 0.0
            for k in 0..<frames { let x = Double(spectrogram[k * bands + b]); sum += x; sumSquares += x * x }
            let mean = sum / Double(frames)
            variance[b] = max(0, sumSquares / Double(frames) - mean * mean)
        }
        let chosen = (0..<bands).sorted { variance[$0] != variance[$1] ? variance[$0] > variance[$1] : $0 < $1 }
            .prefix(min(choose, bands))
        return (0..<frames).map { k in
            var s: Float = 0
            for b in chosen { s += spectrogram[k * bands + b] * spectrogram[k * bands + b] }
            return (s / Float(chosen.count)).squareRoot()
        }
    }

    @inline(__always)
    private static func rms(_ p: UnsafeMutablePointer<Float>, _ from: Int, _ to: Int) -> Float {
        guard to > from else { return 0 }
        var s: Float = 0
        for b in from..<to { s += p[b] * p[b] }
        return (s / Float(to - from)).squareRoot()
    }

    /// The frame at analysis size into `current`: f × f box averages (rounded), or a plain copy.
    private func downscale(_ frame: UnsafePointer<UInt8>) {
        let f = factor, aw = analysisWidth, ah = analysisHeight
        if f == 1 {
            for y in 0..<ah { (current + 3 * y * aw).update(from: frame + 3 * y * width, count: 3 * aw) }
            return
        }
        let area = f * f
        for y in 0..<ah {
            for x in 0..<aw {
                var r = 0, g = 0, b = 0
                for dy in 0..<f {
                    let p = frame + 3 * ((y * f + dy) * width + x * f)
                    for dx in 0..<f { r += Int(p[3 * dx]); g += Int(p[3 * dx + 1]); b += Int(p[3 * dx + 2]) }
                }
                let o = current + 3 * (y * aw + x)
                o[0] = UInt8((r + area / 2) / area); o[1] = UInt8((g + area / 2) / area); o[2] = UInt8((b + area / 2) / area)
            }
        }
    }
}
