import Features
import Foundation
import VideoFeatures
import TestSupport
import XCTest

/// The video spectrogram on gratings of known spatial frequency.
final class SpectrumFeatureTests: TimeLimitedTestCase {
    /// A grating of `cycles` per pixel along direction `angle` (radians).
    func grating(_ cycles: Double, angle: Double = 0) -> (Double, Double) -> Double {
        { x, y in 0.5 + 0.4 * sin(2 * Double.pi * cycles * (x * cos(angle) + y * sin(angle))) }
    }

    func testPeakBandRisesWithSpatialFrequency() {
        let frequencies = [0.02, 0.05, 0.08, 0.12, 0.16, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45]
        var video = SyntheticVideo(width: 128, height: 128)
        for f in frequencies { video.add(grey: grating(f)) }
        let spectrogram = video.features()["video_spectrogram"]!
        let peaks = (0..<frequencies.count).map { argmax(spectrogram.row($0)) }
        for (k, f) in frequencies.enumerated() {
            // Band b covers (b, b + 1] / 64 cycles per pixel.
            XCTAssertEqual(peaks[k], Int(f * 64), accuracy: 1, "\(f) cycles/px")
        }
        for k in 1..<peaks.count { XCTAssertGreaterThan(peaks[k], peaks[k - 1], "\(peaks)") }
    }

    /// Averaged over angle: a grating's band does not depend on its direction, nor on the frame's shape.
    func testBandDoesNotDependOnOrientationOrFrameShape() {
        for (w, h) in [(128, 128), (128, 72), (100, 74)] {   // 74 has the prime factor 37: the FFT uses a 72 px crop
            var video = SyntheticVideo(width: w, height: h)
            for angle in [0, 0.4, Double.pi / 2, 2.2] { video.add(grey: grating(0.15, angle: angle)) }
            let spectrogram = video.features()["video_spectrogram"]!
            for k in 0..<4 { XCTAssertEqual(argmax(spectrogram.row(k)), 9, accuracy: 1, "\(w)×\(h), angle \(k)") }
        }
    }

    func testFrequencyThirdsFollowTheGrating() {
        var video = SyntheticVideo(width: 96, height: 96)
        for f in [0.06, 0.25, 0.42] { video.add(grey: grating(f)) }
        let rms = video.features()["frequency_rms"]!
        for k in 0..<3 { XCTAssertEqual(argmax(rms.row(k)), k, "\(rms.row(k))") }
    }

    /// Spectral onsets rise when finer detail appears, not when it goes away.
    func testSpectralOnsetsRiseWithNewDetail() {
        var video = SyntheticVideo(width: 64, height: 64)
        video.add(grey: { _, _ in 0.5 })
        video.add(grey: grating(0.3))
        video.add(grey: grating(0.3))
        video.add(grey: { _, _ in 0.5 })
        let onsets = video.features()["video_spectral_onsets"]!.values
        XCTAssertEqual(onsets[0], 0)
        XCTAssertGreaterThan(onsets[1], 0.01)
        XCTAssertEqual(onsets[2], 0, accuracy: 1e-6)
        XCTAssertEqual(onsets[3], 0, accuracy: 1e-6)
    }

    /// The 10 bands that vary most over the clip, root-mean-squared per frame.
    func testAdaptiveFrequencyRMSUsesTheMostVaryingBands() {
        let frames = 6, bands = 32
        var spectrogram = [Float](repeating: 1, count: frames * bands)
        let varying = [2, 3, 5, 8, 13, 17, 20, 21, 30, 31]
        for k in 0..<frames {
            for b in varying { spectrogram[k * bands + b] = Float(k) }
            spectrogram[k * bands + 0] = 1 + 0.01 * Float(k % 2)   // varies, but least
        }
        let adaptive = VideoFeatureExtractor.adaptiveFrequencyRMS(spectrogram: spectrogram)
        XCTAssertEqual(adaptive.count, frames)
        for k in 0..<frames { XCTAssertEqual(adaptive[k], Float(k), accuracy: 1e-6) }
        XCTAssertEqual(VideoFeatureExtractor.adaptiveFrequencyRMS(spectrogram: []), [])
    }
}
