import TestSupport
import XCTest
@testable import Tempo

/// MIDI beat clock as a mixer sends it: 24 clocks a beat, with jitter, tempo changes and transport.
final class MIDIClockFollowerTests: TimeLimitedTestCase {
    /// Clock times for `beats` beats at `bpm` from `start`, each moved by up to ±`jitter` s (a fixed
    /// pseudo-random sequence, so the test is the same every run).
    func clocks(bpm: Double, beats: Int, from start: Double = 0, jitter: Double = 0) -> [Double] {
        var state: UInt64 = 0x9E3779B97F4A7C15
        return (0..<(beats * 24)).map { i in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let u = Double(state >> 11) / Double(1 << 53) * 2 - 1
            return start + Double(i) * 60 / bpm / 24 + u * jitter
        }
    }

    func testTempoAndPhaseFromClocksWithTwoMillisecondsOfJitter() {
        for bpm in [90.0, 128.0, 174.0] {
            var f = MIDIClockFollower()
            f.receive(status: 0xFA, at: -0.01)
            let times = clocks(bpm: bpm, beats: 8, jitter: 0.002)
            for t in times { f.receive(status: 0xF8, at: t) }
            XCTAssertEqual(f.bpm, bpm, accuracy: bpm * 0.005, "tempo at \(bpm) BPM")
            // Between the last clock and the next: the beat at a time is where the clock grid says.
            let t = times.last! + 0.004
            let r = f.reading(at: t)!
            XCTAssertTrue(r.running)
            XCTAssertEqual(r.beat, t * bpm / 60, accuracy: 0.01, "phase at \(bpm) BPM")
        }
    }

    func testATempoChangeIsFollowedWithinABeat() {
        var f = MIDIClockFollower()
        f.receive(status: 0xFA, at: -0.01)
        let slow = clocks(bpm: 120, beats: 4)
        for t in slow { f.receive(status: 0xF8, at: t) }
        XCTAssertEqual(f.bpm, 120, accuracy: 0.01)
        let fast = clocks(bpm: 140, beats: 2, from: slow.last! + 60.0 / 140 / 24)
        for t in fast { f.receive(status: 0xF8, at: t) }
        XCTAssertEqual(f.bpm, 140, accuracy: 0.01)
        // 4 beats at 120, then 2 at 140: the clock count says 6 beats less one clock at the last one.
        XCTAssertEqual(f.reading(at: fast.last!)!.beat, 6 - 1.0 / 24, accuracy: 1e-6)
    }

    func testStopHoldsTheBeatContinueGoesOnStartBeginsAgain() {
        var f = MIDIClockFollower()
        f.receive(status: 0xFA, at: 0)
        let times = clocks(bpm: 120, beats: 2)
        for t in times { f.receive(status: 0xF8, at: t) }
        f.receive(status: 0xFC, at: times.last! + 0.01)
        // Clocks keep coming while stopped (most mixers do): the position stays.
        for t in clocks(bpm: 120, beats: 1, from: times.last! + 60.0 / 120 / 24) { f.receive(status: 0xF8, at: t) }
        let held = f.reading(at: 1.6)!
        XCTAssertFalse(held.running)
        XCTAssertEqual(held.beat, 2 - 1.0 / 24, accuracy: 1e-9)
        f.receive(status: 0xFB, at: 1.6)
        f.receive(status: 0xF8, at: 1.6 + 60.0 / 120 / 24)
        XCTAssertEqual(f.reading(at: 1.6 + 60.0 / 120 / 24)!.beat, 2, accuracy: 1e-6, "continue goes on from the next clock")
        XCTAssertTrue(f.reading(at: 1.7)!.running)
        f.receive(status: 0xFA, at: 2)
        f.receive(status: 0xF8, at: 2.01)
        XCTAssertEqual(f.reading(at: 2.01)!.beat, 0, accuracy: 1e-6, "start: the first clock is beat 0")
    }

    func testSongPositionPointerSetsTheBeat() {
        var f = MIDIClockFollower()
        f.receive(status: 0xFC, at: 0)
        // Bar 5 (16 beats = 64 sixteenths): LSB 64, MSB 0; 200 sixteenths: LSB 72, MSB 1.
        f.receive(status: 0xF2, data1: 64, data2: 0, at: 0.1)
        f.receive(status: 0xF8, at: 0.2)
        XCTAssertEqual(f.reading(at: 0.2)!.beat, 16, accuracy: 1e-9)
        f.receive(status: 0xF2, data1: 72, data2: 1, at: 0.3)
        f.receive(status: 0xFB, at: 0.4)
        f.receive(status: 0xF8, at: 0.41)
        XCTAssertEqual(f.reading(at: 0.41)!.beat, 50, accuracy: 1e-9)
    }

    func testASenderThatGoesQuietHoldsTheBeatAndTheTempoBecomesUnknown() {
        var f = MIDIClockFollower()
        XCTAssertNil(f.reading(at: 0), "nothing before the first clock")
        let times = clocks(bpm: 120, beats: 2)
        for t in times { f.receive(status: 0xF8, at: t) }
        let quiet = f.reading(at: times.last! + 1)!
        XCTAssertFalse(quiet.running)
        XCTAssertEqual(quiet.bpm, 0)
        XCTAssertEqual(quiet.beat, f.reading(at: times.last! + MIDIClockFollower.silenceSeconds)!.beat, accuracy: 1e-9, "held where it got to")
        XCTAssertNil(f.reading(at: times.last! + 5))
        // Clocks again after a long gap: a new line, not an average over the gap.
        for t in clocks(bpm: 100, beats: 2, from: times.last! + 10) { f.receive(status: 0xF8, at: t) }
        XCTAssertEqual(f.bpm, 100, accuracy: 0.01)
    }

    func testOtherMessagesAreNotClockMessages() {
        var f = MIDIClockFollower()
        XCTAssertFalse(f.receive(status: 0xFE, at: 0), "active sensing")
        XCTAssertFalse(f.receive(status: 0x90, data1: 60, data2: 100, at: 0))
        XCTAssertTrue(f.receive(status: 0xF8, at: 0))
    }
}

final class TapTempoTests: TimeLimitedTestCase {
    func testFourTapsSetTempoAndPhase() {
        var t = TapTempo()
        XCTAssertNil(t.reading(at: 0))
        for (i, dt) in [0.0, 0.497, 1.003, 1.5].enumerated() { t.tap(at: 10 + dt); _ = i }
        XCTAssertEqual(t.bpm, 120, accuracy: 0.5)
        let r = t.reading(at: 11.75)!
        XCTAssertEqual(r.beat, 3.5, accuracy: 0.02, "half a beat after the fourth tap")
    }

    func testAPauseStartsANewSeriesOnTheNextWholeBeat() {
        var t = TapTempo()
        for i in 0..<4 { t.tap(at: Double(i) * 0.5) }          // 120 BPM, beats 0…3
        let before = t.reading(at: 5.25)!.beat                    // 10.5 beats by now
        for i in 0..<3 { t.tap(at: 5.25 + Double(i) * 0.4) }   // 150 BPM from here
        XCTAssertEqual(t.bpm, 150, accuracy: 0.01)
        let r = t.reading(at: 5.25 + 0.8)!
        XCTAssertEqual(r.beat, (before + 0.5).rounded(.down) + 2, accuracy: 1e-6, "the new series goes on from the old count")
    }
}

final class TransportAndQuantizeTests: TimeLimitedTestCase {
    func testBarBeatTickIsBeatsSinceTheStart() {
        let p = TransportPosition(rolling: true, bar: 3, beat: 2, tick: 960, ticksPerBeat: 1920, beatsPerBar: 4, bpm: 126, time: 100)
        XCTAssertEqual(p.beats, 9.5)
        XCTAssertEqual(p.reading(at: 100.5)!.beat, 9.5 + 0.5 * 126 / 60, accuracy: 1e-12)
        var stopped = p; stopped.rolling = false
        XCTAssertEqual(stopped.reading(at: 101)!.beat, 9.5, "a stopped transport holds")
        var empty = p; empty.bpm = 0
        XCTAssertNil(empty.reading(at: 100))
    }

    func testBoundariesAreCrossedOnMultiplesOfTheQuantum() {
        XCTAssertTrue(Quantize.beat.crossed(from: 2.97, to: 3.01))
        XCTAssertFalse(Quantize.beat.crossed(from: 3.01, to: 3.9))
        XCTAssertTrue(Quantize.bar.crossed(from: 7.99, to: 8.0), "landing exactly on the boundary counts")
        XCTAssertFalse(Quantize.bar.crossed(from: 8.0, to: 8.03), "and does not count twice")
        XCTAssertTrue(Quantize.fourBars.crossed(from: 15.9, to: 16.1))
        XCTAssertFalse(Quantize.twoBars.crossed(from: 9, to: 15.9))
        XCTAssertFalse(Quantize.off.crossed(from: 0, to: 100))
        XCTAssertFalse(Quantize.beat.crossed(from: 5.5, to: 4.5), "a beat that goes back crosses nothing")
        XCTAssertEqual(Quantize.names, ["off", "beat", "bar", "2bars", "4bars"])
    }

    func testTheTrackerFallsBackToTheDetectedBeatWhileItsSourceIsSilent() {
        var tracker = TempoTracker(source: .midiClock)
        tracker.detected(bpm: 120, phase: 0.9)
        tracker.detected(bpm: 120, phase: 0.1)                    // wrapped: one beat
        var (r, fallback) = tracker.reading(at: 0, ahead: 0.25)
        XCTAssertTrue(fallback)
        XCTAssertEqual(r.source, .detect)
        XCTAssertEqual(r.beat, 1.1 + 0.25 * 2, accuracy: 1e-12, "the detected beat, predicted ahead at its tempo")
        _ = tracker.receiveMIDI(status: 0xFA, data1: 0, data2: 0, at: 0)
        for i in 0..<48 { _ = tracker.receiveMIDI(status: 0xF8, data1: 0, data2: 0, at: Double(i) / 48) }   // 120 BPM
        (r, fallback) = tracker.reading(at: 47.0 / 48, ahead: 0.25)
        XCTAssertFalse(fallback)
        XCTAssertEqual(r.source, .midiClock)
        XCTAssertEqual(r.beat, 47.0 / 24 + 0.5, accuracy: 1e-9, "the clock's beat, looked up ahead")
    }
}
