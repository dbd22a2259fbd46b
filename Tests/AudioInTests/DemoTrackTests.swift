import AudioIn
import Foundation
import TestSupport
import XCTest

final class DemoTrackTests: TimeLimitedTestCase {
    func testDeterministicAndWithinSpec() {
        let a = DemoTrack.render(sampleRate: 8_000)
        let b = DemoTrack.render(sampleRate: 8_000)
        XCTAssertEqual(a.samples, b.samples, "the demo track must be the same every time")
        XCTAssertTrue((60...90).contains(a.duration))
        XCTAssertEqual(a.duration, 72, accuracy: 0.01)
        XCTAssertLessThan(a.samples.map(abs).max()!, 1, "no clipping")
    }

    func testQuietIntroLoudDrop() {
        let clip = DemoTrack.render(sampleRate: 8_000)
        func rms(_ from: Double, _ to: Double) -> Float {
            let s = clip.slice(frames: Int(from * 8000)..<Int(to * 8000)).samples
            return (s.reduce(0) { $0 + $1 * $1 } / Float(s.count)).squareRoot()
        }
        let intro = rms(0, 16), groove = rms(16, 32), drop = rms(32, 64), outro = rms(64, 72)
        XCTAssertGreaterThan(drop, 4 * intro)
        XCTAssertGreaterThan(drop, 1.5 * groove)
        XCTAssertGreaterThan(groove, 2 * intro)
        XCTAssertGreaterThan(drop, 4 * outro)
    }

    func testGroundTruthIsConsistent() {
        XCTAssertEqual(DemoTrack.beatTimes.count, 144)
        XCTAssertEqual(DemoTrack.kickTimes.count, 96, "a kick on every beat of the 24 groove and drop bars")
        XCTAssertEqual(DemoTrack.snareTimes.count, 48)
        XCTAssertEqual(DemoTrack.kickTimes.first, 16)
        XCTAssertEqual(DemoTrack.chord(atBar: 0).name, "Am")
        XCTAssertEqual(DemoTrack.chord(atBar: 1).name, "Am")
        XCTAssertEqual(DemoTrack.chord(atBar: 2).name, "F")
        XCTAssertEqual(DemoTrack.chord(atBar: 7).name, "G")
        XCTAssertEqual(DemoTrack.chord(atBar: 8).name, "Am")
        XCTAssertEqual(DemoTrack.section(at: 40).name, "drop")
        XCTAssertEqual(DemoTrack.sections.last!.end, DemoTrack.duration)
    }

    /// A kick is really there: the low band has an energy burst right at each kick time.
    func testKicksAreWhereTheTruthSaysTheyAre() {
        let rate = 8_000.0
        let mono = DemoTrack.render(sampleRate: rate).mono()
        for t in DemoTrack.kickTimes.prefix(8) {
            let at = Int(t * rate)
            let before = mono[(at - 400)..<(at - 10)].map { $0 * $0 }.reduce(0, +)
            let after = mono[at..<(at + 390)].map { $0 * $0 }.reduce(0, +)
            XCTAssertGreaterThan(after, 3 * before, "kick at \(t) s")
        }
    }
}
