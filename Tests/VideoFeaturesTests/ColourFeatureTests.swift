import Features
import Foundation
import VideoFeatures
import TestSupport
import XCTest

/// Histograms, variance and frame difference on videos whose answers are known exactly.
final class ColourFeatureTests: TimeLimitedTestCase {
    func testEveryFeatureHasItsNameAndSize() {
        var video = SyntheticVideo(width: 64, height: 48)
        for k in 0..<5 { video.add(grey: { x, y in texture(x + Double(k), y) }) }
        let set = video.features()
        XCTAssertEqual(set.frames, 5)
        XCTAssertEqual(set.fps, 24)
        XCTAssertEqual(set.sampleRate, 0)
        XCTAssertFalse(set.causal)
        let expected: [(String, Int)] = [
            ("rgb_histogram", 96), ("hsv_histogram", 96), ("visual_variance", 1), ("video_spectrogram", 32),
            ("frequency_rms", 3), ("adaptive_frequency_rms", 1), ("absolute_difference", 1), ("directogram", 16),
            ("video_spectral_onsets", 1), ("video_flow_onsets", 1),
        ]
        XCTAssertEqual(set.features.map(\.name), expected.map(\.0))
        for (name, dims) in expected { XCTAssertEqual(set[name]?.dims, dims, name) }
        XCTAssertEqual(VideoLayout.width, 247)
    }

    /// Grey, with every 10th frame white: difference and histogram change exactly at the flash and the
    /// frame after it, nowhere else.
    func testFlashesSpikeExactlyAtTheFlashAndTheFrameAfter() {
        var video = SyntheticVideo(width: 40, height: 30)
        let flashes = Set([9, 19, 29])
        for k in 0..<35 { video.add(colour: flashes.contains(k) ? (255, 255, 255) : (128, 128, 128)) }
        let set = video.features()
        let difference = set["absolute_difference"]!, histogram = set["rgb_histogram"]!
        for k in 0..<35 {
            let changed = flashes.contains(k) || flashes.contains(k - 1)
            XCTAssertEqual(difference.value(k), changed ? 127 / 255 : 0, accuracy: 1e-6, "frame \(k)")
            if k > 0 {
                let change = zip(histogram.row(k), histogram.row(k - 1)).map { abs($0 - $1) }.reduce(0, +)
                XCTAssertEqual(change, changed ? 6 : 0, accuracy: 1e-6, "frame \(k)")   // one bin moves per channel
            }
        }
        // 128 is bin 16 of 32, 255 bin 31; each channel sums to 1.
        XCTAssertEqual(histogram.row(0)[16], 1); XCTAssertEqual(histogram.row(0)[32 + 16], 1)
        XCTAssertEqual(histogram.row(9)[31], 1); XCTAssertEqual(histogram.row(9)[64 + 31], 1)
        XCTAssertEqual(set["visual_variance"]!.values.max()!, 0)
    }

    func testHueOfPrimaryColoursLandsInTheirBins() {
        var video = SyntheticVideo(width: 16, height: 16)
        let cases: [(colour: (UInt8, UInt8, UInt8), hueBin: Int, saturationBin: Int, valueBin: Int)] = [
            ((255, 0, 0), 0, 31, 31),       // red: hue 0
            ((0, 255, 0), 10, 31, 31),      // green: hue 1/3 → bin ⌊32/3⌋
            ((0, 0, 255), 21, 31, 31),      // blue: hue 2/3 → bin ⌊64/3⌋
            ((255, 255, 0), 5, 31, 31),     // yellow: hue 1/6
            ((255, 0, 255), 26, 31, 31),    // magenta: hue 5/6
            ((128, 128, 128), 0, 0, 16),    // grey: no hue (counted as 0), no saturation
            ((0, 0, 0), 0, 0, 0),           // black
            ((100, 50, 50), 0, 16, 12),     // dull red: S = 0.5, V = 100/255
        ]
        for c in cases { video.add(colour: c.colour) }
        let hsv = video.features()["hsv_histogram"]!
        for (k, c) in cases.enumerated() {
            let row = hsv.row(k)
            XCTAssertEqual(row[c.hueBin], 1, "hue of \(c.colour)")
            XCTAssertEqual(row[32 + c.saturationBin], 1, "saturation of \(c.colour)")
            XCTAssertEqual(row[64 + c.valueBin], 1, "value of \(c.colour)")
            XCTAssertEqual(row.reduce(0, +), 3, accuracy: 1e-6)
        }
    }

    func testRGBHistogramUsesTheFixedRange() {
        var video = SyntheticVideo(width: 8, height: 8)
        video.add(colour: (255, 0, 0))
        video.add(colour: (7, 8, 247))   // bins 0, 1, 30: the bin edges fall at multiples of 8
        let rgb = video.features()["rgb_histogram"]!
        XCTAssertEqual(rgb.row(0)[31], 1); XCTAssertEqual(rgb.row(0)[32], 1); XCTAssertEqual(rgb.row(0)[64], 1)
        XCTAssertEqual(rgb.row(1)[0], 1); XCTAssertEqual(rgb.row(1)[33], 1); XCTAssertEqual(rgb.row(1)[94], 1)
    }

    func testVarianceOfAConstantFrameIsZeroAndOfHalfBlackHalfWhiteAQuarter() {
        var video = SyntheticVideo(width: 32, height: 32)
        video.add(colour: (77, 77, 77))
        video.add(colour: (200, 10, 90))                 // constant frame, but its channels differ
        video.add(grey: { x, _ in x < 16 ? 0 : 1 })
        let variance = video.features()["visual_variance"]!
        XCTAssertEqual(variance.value(0), 0)
        let channels: [Float] = [200, 10, 90].map { $0 / 255 }
        let mean = channels.reduce(0, +) / 3
        XCTAssertEqual(variance.value(1), channels.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 3, accuracy: 1e-6)
        XCTAssertEqual(variance.value(2), 0.25, accuracy: 1e-6)
    }

    /// An all-black video (the visual silence) gives finite numbers everywhere, and zeros for all that
    /// measures change, texture or motion.
    func testBlackVideoIsFiniteEverywhere() {
        var video = SyntheticVideo(width: 64, height: 36)
        for _ in 0..<6 { video.add(colour: (0, 0, 0)) }
        let set = video.features()
        for f in set.features {
            XCTAssertTrue(f.values.allSatisfy(\.isFinite), f.name)
            if !["rgb_histogram", "hsv_histogram"].contains(f.name) {
                XCTAssertEqual(f.values.map(abs).max()!, 0, f.name)
            }
        }
    }

    /// Bigger frames are averaged down to the analysis size by a whole factor.
    func testLargeFramesAreAnalysedSmall() {
        let hd = VideoFeatureExtractor(width: 1920, height: 1080, fps: 30)
        XCTAssertEqual(hd.analysisWidth, 212)    // factor ⌈1080 / 128⌉ = 9; 213 rounded down to even
        XCTAssertEqual(hd.analysisHeight, 120)
        let odd = VideoFeatureExtractor(width: 101, height: 75, fps: 30)
        XCTAssertEqual(odd.analysisWidth, 100)
        XCTAssertEqual(odd.analysisHeight, 74)
        var video = SyntheticVideo(width: 300, height: 200)
        video.add(grey: { x, _ in x < 150 ? 0 : 1 })
        let set = video.features()
        XCTAssertEqual(set["visual_variance"]!.value(0), 0.25, accuracy: 1e-6)
        XCTAssertEqual(set["rgb_histogram"]!.row(0)[0], 0.5, accuracy: 1e-6)
    }

    /// The live engine reads `lastRow`; it is the same row `finish()` reports.
    func testLastRowMatchesTheFinishedFeatures() {
        let extractor = VideoFeatureExtractor(width: 48, height: 32, fps: 30, reserveFrames: 4)
        let live = VideoFeatureExtractor(width: 48, height: 32, fps: 30, keepsHistory: false)
        var video = SyntheticVideo(width: 48, height: 32)
        for k in 0..<4 { video.add(grey: { x, y in texture(x + 1.5 * Double(k), y - Double(k)) }) }
        var rows: [[Float]] = []
        for f in video.frames {
            f.withUnsafeBufferPointer { extractor.append(rgb24: $0); live.append(rgb24: $0) }
            rows.append(Array(live.lastRow))
        }
        let set = extractor.finish()
        for (name, dims) in VideoLayout.columns {
            let offset = VideoLayout.offset(of: name)!
            for k in 0..<4 { XCTAssertEqual(set[name]!.row(k), Array(rows[k][offset..<(offset + dims)]), name) }
        }
    }
}
