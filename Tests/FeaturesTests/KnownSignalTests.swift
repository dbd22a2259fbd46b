import Features
import Foundation
import TestSupport
import XCTest

/// Signals whose right answer is known without any reference implementation.
final class KnownSignalTests: TimeLimitedTestCase {
    let rate = 44_100.0

    /// A (440 Hz) is pitch class 9, C5 (523.25 Hz) is 0, E4 (329.63 Hz) is 4; offline and causal agree.
    func testSinePitchClassInChroma() throws {
        for (hz, pitchClass) in [(440.0, 9), (523.25, 0), (329.63, 4), (783.99, 7)] {
            let x = Signals.sine(hz, seconds: 4)
            let offline = try OfflineExtractor(fps: 24).extract(mono: x, sampleRate: rate)["chroma"]!
            let middle = offline.frame(offline.frames / 2)
            XCTAssertEqual(Array(middle).maxIndex, pitchClass, "offline chroma of \(hz) Hz")
            let causal = try CausalExtractor.extractAll(mono: x, sampleRate: rate, fps: 30)["chroma"]!
            XCTAssertEqual(Array(causal.frame(causal.frames - 1)).maxIndex, pitchClass, "causal chroma of \(hz) Hz")
        }
    }

    func testClickTrainOnsetsAndTempo() throws {
        for bpm in [90.0, 120.0, 140.0] {
            let (x, times) = Signals.clickTrain(bpm: bpm, seconds: 30)
            let set = try OfflineExtractor(fps: 24).extract(mono: x, sampleRate: rate)
            XCTAssertEqual(set.summary["tempo"]!, bpm, accuracy: 0.02 * bpm, "offline tempo of \(bpm) BPM clicks")
            // Each click gives an onset peak within one frame of it.
            let onsets = set["onsets"]!.values
            for t in times.dropFirst().prefix(20) {
                let k = Int((t * 24).rounded())
                let window = Array(onsets[max(0, k - 1)...min(onsets.count - 1, k + 1)])
                XCTAssertGreaterThan(window.max()!, 0.5, "onset at \(t) s")
            }
            let causal = try CausalExtractor.extractAll(mono: x, sampleRate: rate, fps: 30)
            let tempo = causal["tempo"]!.values
            XCTAssertEqual(Double(tempo.last!), bpm, accuracy: 0.003 * bpm, "causal tempo of \(bpm) BPM clicks")
            // The causal pulse peaks near the clicks once locked (last 10 s): the beat phase is near 0 at each click.
            let phase = causal["beat_phase"]!.values
            var errors = [Double]()
            for t in times where t > 20 {
                let k = Int(t * 30)   // frame ending just after the click
                guard k < phase.count else { continue }
                let p = Double(phase[k])
                errors.append(min(p, 1 - p))
            }
            XCTAssertLessThan(errors.reduce(0, +) / Double(errors.count), 0.15, "causal beat phase at clicks (\(bpm) BPM)")
        }
    }

    /// GM/AM of one frame of white noise's power spectrum: each bin is exponentially distributed, so the
    /// expected ratio is e^−γ ≈ 0.56, the highest a single noisy frame reaches; a sine gives nearly 0.
    func testFlatness() throws {
        let noise = try OfflineExtractor(fps: 24).extract(mono: Signals.whiteNoise(seconds: 2), sampleRate: rate)["spectral_flatness"]!
        XCTAssertEqual(Double(noise.values.mean), exp(-0.5772), accuracy: 0.06)
        let sine = try OfflineExtractor(fps: 24).extract(mono: Signals.sine(1000, seconds: 2), sampleRate: rate)["spectral_flatness"]!
        XCTAssertLessThan(sine.values.max()!, 0.01)
        let causalNoise = try CausalExtractor.extractAll(mono: Signals.whiteNoise(seconds: 2), sampleRate: rate, fps: 30)["spectral_flatness"]!
        XCTAssertEqual(Double(Array(causalNoise.values.dropFirst(5)).mean), exp(-0.5772), accuracy: 0.06)
    }

    /// Digital silence, and music with a gap of it: the gap is 0 (no noise), offline and causal, not the
    /// 1.0 of white noise that the geometric mean of a floor-clamped spectrum gives.
    func testFlatnessOfDigitalSilenceIsZeroNotNoise() throws {
        let silence = [Float](repeating: 0, count: Int(rate) * 2)
        let offline = try OfflineExtractor(fps: 24).extract(mono: silence, sampleRate: rate)["spectral_flatness"]!
        XCTAssertEqual(offline.values.max(), 0, "offline")
        let causal = try CausalExtractor.extractAll(mono: silence, sampleRate: rate, fps: 30)["spectral_flatness"]!
        XCTAssertEqual(causal.values.max(), 0, "causal")
        // Noise, a second of zeros, noise again: the gap reads 0, the noise around it as noise.
        let noise = Signals.whiteNoise(seconds: 1)
        let gapped = noise + [Float](repeating: 0, count: Int(rate)) + noise
        let f = try CausalExtractor.extractAll(mono: gapped, sampleRate: rate, fps: 30)["spectral_flatness"]!.values
        XCTAssertEqual(Array(f[42...55]).max(), 0, "inside the gap (frames 42-55 of 90)")
        XCTAssertGreaterThan(Array(f[10...25]).mean, 0.4, "noise before the gap")
        XCTAssertGreaterThan(Array(f[75...85]).mean, 0.4, "noise after it")
        // Quiet is not silence: a -90 dBFS noise floor (dither) is still measured.
        let dither = noise.map { $0 * 3e-4 }              // σ = 3e-5: about -90 dBFS
        let quiet = try OfflineExtractor(fps: 24).extract(mono: dither, sampleRate: rate)["spectral_flatness"]!
        XCTAssertEqual(Double(quiet.values.mean), exp(-0.5772), accuracy: 0.06)
    }

    func testRMSOfASine() throws {
        let x = Signals.sine(1000, seconds: 2, amplitude: 0.5)
        let rms = try OfflineExtractor(fps: 24).extract(mono: x, sampleRate: rate)["rms"]!.values
        XCTAssertEqual(rms[rms.count / 2], 0.5 / Float(2).squareRoot(), accuracy: 1e-3)
        let causal = try CausalExtractor.extractAll(mono: x, sampleRate: rate, fps: 30)
        XCTAssertEqual(causal["rms"]!.values[30], 0.5 / Float(2).squareRoot(), accuracy: 1e-3)
        // A 1 kHz sine is all mid band.
        XCTAssertEqual(causal["rms_mid"]!.values[30], 0.5 / Float(2).squareRoot(), accuracy: 0.02)
        XCTAssertLessThan(causal["rms_low"]!.values[30], 0.01)
        XCTAssertLessThan(causal["rms_high"]!.values[30], 0.01)
    }

    func testBandsSeparateLowAndHigh() throws {
        let low = try CausalExtractor.extractAll(mono: Signals.sine(80, seconds: 1), sampleRate: rate, fps: 30)
        XCTAssertGreaterThan(low["rms_low"]!.values[20], 10 * low["rms_high"]!.values[20])
        let high = try CausalExtractor.extractAll(mono: Signals.sine(8000, seconds: 1), sampleRate: rate, fps: 30)
        XCTAssertGreaterThan(high["rms_high"]!.values[20], 10 * high["rms_low"]!.values[20])
    }

    /// Silence (and near-silence) must give finite, bounded features: no log of zero, no division by zero.
    func testSilenceStaysFinite() throws {
        for level: Float in [0, 1e-12] {
            let x = [Float](repeating: level, count: Int(rate * 3))
            let offline = try OfflineExtractor(fps: 24).extract(mono: x, sampleRate: rate)
            let causal = try CausalExtractor.extractAll(mono: x, sampleRate: rate, fps: 60)
            for set in [offline, causal] {
                for f in set.features {
                    XCTAssertTrue(f.values.allSatisfy(\.isFinite), "\(f.name) has a non-finite value on silence (causal: \(set.causal))")
                    XCTAssertTrue(f.values.allSatisfy { abs($0) < 1e4 }, "\(f.name) is unbounded on silence")
                }
            }
            XCTAssertEqual(causal["pulse"]!.values.max()!, 0, "no pulse in silence")
        }
    }

    func testNonFiniteInputIsTreatedAsSilence() throws {
        var x = Signals.sine(440, seconds: 1)
        for i in stride(from: 0, to: x.count, by: 97) { x[i] = .nan }
        let causal = try CausalExtractor.extractAll(mono: x, sampleRate: rate, fps: 30)
        for f in causal.features { XCTAssertTrue(f.values.allSatisfy(\.isFinite), f.name) }
    }

    func testAnyFrameRate() throws {
        let x = Signals.sine(440, seconds: 2)
        for fps in [12.0, 24, 25, 29.97, 30, 60] {
            let offline = try OfflineExtractor(fps: fps).extract(mono: x, sampleRate: rate)
            XCTAssertEqual(offline.frames, 1 + Int(2 * fps), "offline frames at \(fps) fps")
            let causal = try CausalExtractor.extractAll(mono: x, sampleRate: rate, fps: fps)
            XCTAssertEqual(causal.frames, Int((2 * fps).rounded(.down)), "causal frames at \(fps) fps")
        }
    }

    func testBadParametersAreErrors() {
        XCTAssertThrowsError(try OfflineExtractor(fps: 0).extract(mono: [0, 0], sampleRate: rate))
        XCTAssertThrowsError(try OfflineExtractor(fps: 24).extract(mono: [], sampleRate: rate))
        XCTAssertThrowsError(try CausalExtractor(sampleRate: 100, fps: 30))
        XCTAssertThrowsError(try CausalExtractor(sampleRate: 44_100, fps: 0))
    }
}
