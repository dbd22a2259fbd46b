import AudioIn
import Foundation
import TestSupport
import XCTest

/// The generated training music: deterministic per seed, varied across seeds, and within each style's spec.
final class TrainingMusicTests: TimeLimitedTestCase {
    let rate = 8_000.0

    func testSameSeedSameSamplesOtherSeedOtherMusic() {
        let a = TrainingMusic(seed: 5, bars: 4).render(sampleRate: rate)
        let b = TrainingMusic(seed: 5, bars: 4).render(sampleRate: rate)
        XCTAssertEqual(a.samples, b.samples, "the same seed renders the same samples")
        XCTAssertEqual(a.channels, 2)
        XCTAssertEqual(a.sampleRate, rate)
        let c = TrainingMusic(seed: 6, bars: 4).render(sampleRate: rate)
        let n = min(a.samples.count, c.samples.count)
        XCTAssertNotEqual(Array(a.samples.prefix(n)), Array(c.samples.prefix(n)))
        // Every drawn attribute comes from the seed.
        let x = TrainingMusic(seed: 17), y = TrainingMusic(seed: 17)
        XCTAssertEqual(x.name, y.name)
        XCTAssertEqual(x.chords, y.chords)
        XCTAssertEqual(x.arrangement.map(\.level), y.arrangement.map(\.level))
        XCTAssertEqual(x.key, y.key); XCTAssertEqual(x.minor, y.minor)
    }

    func testSeedsCoverTheStylesWithinTheirTempoRanges() {
        let pieces = (1...24).map { TrainingMusic(seed: UInt64($0)) }
        let styles = Set(pieces.map(\.style))
        XCTAssertGreaterThanOrEqual(styles.count, 4, "styles drawn over seeds 1…24: \(styles)")
        XCTAssertGreaterThan(Set(pieces.map(\.tempo)).count, 10, "tempi vary")
        XCTAssertGreaterThan(Set(pieces.map(\.key)).count, 4, "keys vary")
        XCTAssertEqual(Set(pieces.map(\.minor)), [true, false])
        XCTAssertEqual(Set(pieces.map(\.name)).count, 24, "every piece has its own file name")
        for p in pieces {
            let range: ClosedRange<Double>
            switch p.style {
            case .techno: range = 125...145
            case .ambient: range = 60...90
            case .halftime: range = 140...175
            case .house, .breakbeat: range = 90...128
            }
            XCTAssertTrue(range.contains(p.tempo), "\(p.name): \(p.tempo) BPM outside \(range)")
            XCTAssertEqual(p.tempo, p.tempo.rounded(), "whole BPM")
            XCTAssertEqual(p.duration, Double(p.bars) * 4 * 60 / p.tempo, accuracy: 1e-12)
            XCTAssertEqual(p.bars, 32)
            XCTAssertEqual(p.arrangement.count, 32)
            XCTAssertEqual(p.chords.count, 32)
            XCTAssertTrue(p.chords.allSatisfy { $0.count == 3 && $0.allSatisfy { (0..<12).contains($0) } })
            XCTAssertTrue(p.chords[0].contains(p.key), "the first chord is the tonic")
            XCTAssertTrue(p.name.hasPrefix(String(format: "train-%03d-%@-", Int(p.seed), p.style.rawValue)), p.name)
            if p.style == .ambient { XCTAssertFalse(p.arrangement.contains { $0.drums }, "ambient has no drums") }
            XCTAssertTrue(p.arrangement.allSatisfy { (0.1...0.9).contains($0.level) })
        }
    }

    func testRenderedLengthLevelAndArrangement() {
        // One piece with drums and one without, rendered short.
        let seeds = (1...24).map { UInt64($0) }
        let drummed = seeds.map { TrainingMusic(seed: $0, bars: 8) }.first { $0.arrangement.contains { $0.drums } && $0.style != .ambient }!
        let ambient = seeds.map { TrainingMusic(seed: $0, bars: 8) }.first { $0.style == .ambient }
        for piece in [drummed] + (ambient.map { [$0] } ?? []) {
            let clip = piece.render(sampleRate: rate)
            XCTAssertEqual(clip.frameCount, Int(piece.duration * rate), piece.name)
            XCTAssertEqual(clip.duration, piece.duration, accuracy: 1 / rate)
            let peak = clip.samples.map(abs).max()!
            XCTAssertLessThan(peak, 1, "\(piece.name): no clipping")
            XCTAssertGreaterThan(peak, 0.05, "\(piece.name): not silent")
            XCTAssertTrue(clip.samples.allSatisfy(\.isFinite))
            // Louder sections are louder: bar RMS rises with the arrangement's level.
            let barFrames = Int(4 * 60 / piece.tempo * rate)
            let rms = (0..<piece.bars).map { b -> Double in
                let s = clip.slice(frames: (b * barFrames)..<min(clip.frameCount, (b + 1) * barFrames)).samples
                return (s.reduce(0.0) { $0 + Double($1 * $1) } / Double(s.count)).squareRoot()
            }
            let levels = piece.arrangement.map(\.level)
            if Set(levels).count > 1 {
                let loud = levels.indices.max { levels[$0] < levels[$1] }!, quiet = levels.indices.min { levels[$0] < levels[$1] }!
                XCTAssertGreaterThan(rms[loud], rms[quiet], "\(piece.name): bar \(loud) (level \(levels[loud])) vs bar \(quiet) (level \(levels[quiet]))")
            }
        }
    }
}
