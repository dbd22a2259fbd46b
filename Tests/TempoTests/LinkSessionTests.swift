import Tempo
import XCTest

/// One Link session on its own, never enabled (no discovery traffic): its timeline against Link's own
/// arithmetic. Two peers in a private network are in CLITests/LinkCLITests.
final class LinkSessionTests: XCTestCase {
    func testTheTimelineRunsAtTheTempoAndAlignsToTheQuantum() throws {
        let link = try LinkSession(bpm: 120, quantum: 3)
        XCTAssertFalse(link.enabled, "nothing is joined before the engine asks")
        let now = link.hostSeconds
        let a = link.state(atHost: now), b = link.state(atHost: now + 1.5)
        XCTAssertEqual(a.bpm, 120, accuracy: 1e-9)
        XCTAssertEqual(b.beat - a.beat, 3, accuracy: 1e-5, "1.5 s at 120 BPM (Link counts micro-beats)")
        XCTAssertEqual(a.peers, 0)
        XCTAssertNil(a.reading, "alone: no beat to follow, the detected one stands in")
        // The proposal is at the tempo from now on; the beat goes on from where it was.
        link.propose(bpm: 90)
        let at = link.hostSeconds + 0.5
        let c = link.state(atHost: at), d = link.state(atHost: at + 2)
        XCTAssertEqual(c.bpm, 90, accuracy: 1e-9)
        XCTAssertEqual(d.beat - c.beat, 3, accuracy: 1e-5, "2 s at 90 BPM")
        link.propose(bpm: 5000)
        XCTAssertEqual(link.state(atHost: link.hostSeconds).bpm, 999, accuracy: 1e-9, "clamped to Link's range")
        link.propose(bpm: .nan)
        XCTAssertEqual(link.state(atHost: link.hostSeconds).bpm, 999, accuracy: 1e-9, "a NaN proposes nothing")
    }

    func testTheHostClockIsTheMonotonicRawClock() throws {
        let link = try LinkSession()
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC_RAW, &ts)
        let raw = Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
        XCTAssertEqual(link.hostSeconds, raw, accuracy: 0.05, "peers on this machine read one clock")
    }

    func testChoiceValuesNameTheSourceClamped() {
        XCTAssertEqual(TempoSource(choiceValue: Double(TempoSource.allCases.firstIndex(of: .link)!)), .link)
        XCTAssertEqual(TempoSource(choiceValue: -3), .detect)
        XCTAssertEqual(TempoSource(choiceValue: 99), .tap)
        XCTAssertEqual(TempoSource(choiceValue: .nan), .detect)
        XCTAssertEqual(Quantize(choiceValue: 2), .bar)
    }
}
