import AudioIn
import Basics
import Foundation
import Live
import StyleGAN
import Synthesis
import TestSupport
import XCTest

/// A generator backend that renders like the real one and then waits: a model that runs at a third of
/// the engine's rate (or stalls once, for a model reload or a stalled disk).
final class SlowedGenerator: GeneratorBackend {
    let base: Generator
    let delay: Double
    /// Frame at which to stall once, and for how long (seconds).
    let stall: (frame: Int, seconds: Double)?
    private(set) var rendered = 0
    init(_ base: Generator, delay: Double, stall: (frame: Int, seconds: Double)? = nil) { self.base = base; self.delay = delay; self.stall = stall }
    var architecture: GeneratorArchitecture { base.architecture }
    var label: String { "slowed \(base.label)" }
    var untrained: Bool { base.untrained }
    var numWs: Int { base.numWs }
    var imageCount: Int { base.imageCount }
    var noiseLayers: [(name: String, resolution: Int)] { base.noiseLayers }
    func noiseMap(layer: Int) -> UnsafeMutablePointer<Float> { base.noiseMap(layer: layer) }
    func adoptWeights(of other: Generator) throws { try base.adoptWeights(of: other) }
    func synthesize(ws: UnsafePointer<Float>, noise: NoiseMode, into image: UnsafeMutablePointer<Float>) {
        base.synthesize(ws: ws, noise: noise, into: image)
        var wait = delay
        if let stall, rendered == stall.frame { wait += stall.seconds }
        rendered += 1
        usleep(UInt32(wait * 1e6))
    }
}

/// Every clock the audience sees runs on audio time: with a generator at a third of the target rate
/// the state still advances one feature row per 1/fps s of music, so morphs, loops and beats keep the
/// music's time, and a stalled frame makes the engine skip to the newest audio instead of lagging.
final class MusicClockTests: TimeLimitedTestCase {
    let fps = 24.0
    /// The demo track from 30 s (the groove's end and the drop: a steady 120 BPM), at 44.1 kHz.
    static let excerpt = DemoTrack.render(sampleRate: 44_100).slice(frames: (30 * 44_100)..<(50 * 44_100))

    func temporaryLog(_ name: String) -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(getpid())-\(UUID().uuidString).jsonl").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func producer(_ source: AudioSource, backend: GeneratorBackend, log path: String) throws -> (FrameProducer, PerformanceLog) {
        let setup = DecoderSetup()
        let decoder = try setup.makeDecoder(generator: FrameProducerTests.generator, fps: fps)
        let p = try FrameProducer(source: source, generator: backend, network: FrameProducerTests.network, decoder: decoder, fps: fps)
        let log = try PerformanceLog(path: path, header: .init(decoder: decoder, setup: setup, fps: fps, sampleRate: 44_100, audio: nil,
                                                               model: backend.label, centreSeconds: 8,
                                                               parameters: p.parameters.registry.parameters.map(\.name)))
        p.log(to: log)
        return (p, log)
    }

    /// Runs a producer on its own thread in real time until `seconds` of music have passed through its
    /// state (the main loop flushing the log meanwhile), then stops it.
    func run(_ p: FrameProducer, untilAudioSeconds seconds: Double, whileRunning: (FrameProducer) -> Void = { _ in }) throws
        -> (header: PerformanceLog.Header, records: [PerformanceLog.Record]) {
        let (path, log) = try XCTUnwrap(logs[ObjectIdentifier(p)])
        p.start()
        XCTAssertTrue(waitUntil(timeout: 300) {
            whileRunning(p)
            log.flush()
            return p.snapshot.audioSeconds >= seconds
        }, "the music's clock reaches \(seconds) s (at \(p.snapshot.audioSeconds) s)")
        p.stop()
        XCTAssertTrue(waitUntil(timeout: 120) { p.isFinished })
        p.log(to: nil)
        log.flush()
        return try PerformanceLog.read(path: path)
    }

    /// Each producer's performance log (the main loop's part: flushing it) and its path.
    private var logs: [ObjectIdentifier: (path: String, log: PerformanceLog)] = [:]

    func makeProducer(_ source: AudioSource, backend: GeneratorBackend, name: String) throws -> FrameProducer {
        let path = temporaryLog(name)
        let (p, log) = try producer(source, backend: backend, log: path)
        p.maxBehindSeconds = 5            // these runs measure timing, not skipping (a loaded machine must not skip)
        logs[ObjectIdentifier(p)] = (path, log)
        return p
    }

    func parameter(_ name: String, in log: (header: PerformanceLog.Header, records: [PerformanceLog.Record])) throws -> [Double] {
        let i = try XCTUnwrap(log.header.parameters?.firstIndex(of: name))
        return log.records.map { $0.parameters![i] }
    }

    /// Row for row, the state of a run whose generator renders a third of the frames is the state of a run
    /// that renders every frame: the same beats, musical time and envelopes at the same audio positions.
    /// Only the frames shown differ.
    func testASlowedGeneratorChangesTheFramesShownNotTheState() throws {
        let g = FrameProducerTests.generator
        let slowed = try makeProducer(FilePlayback(clip: Self.excerpt), backend: SlowedGenerator(g, delay: 3 / fps), name: "slowed")
        let live = try run(slowed, untilAudioSeconds: 6)
        // The reference: every row rendered, the audio handed over one row at a time.
        let reference = try makeProducer(FrameProducerTests.BlockSource(seconds: 30, block: 1837), backend: g, name: "reference")
        let (path, log) = try XCTUnwrap(logs[ObjectIdentifier(reference)])
        while reference.snapshot.rows < live.records.count { reference.produceFrame(); log.flush() }
        reference.log(to: nil)
        log.flush()
        let full = try PerformanceLog.read(path: path)
        let rows = min(live.records.count, full.records.count)
        XCTAssertGreaterThanOrEqual(rows, Int(5.5 * fps))
        for k in 0..<rows {
            let a = live.records[k], b = full.records[k]
            XCTAssertEqual(a.audio, b.audio, "row \(k): audio position")
            XCTAssertEqual(a.beat, b.beat, accuracy: 1e-9, "row \(k): beat")
            XCTAssertEqual(a.time ?? -1, b.time ?? -1, accuracy: 1e-9, "row \(k): musical time")
            for e in a.envelopes.indices { XCTAssertEqual(a.envelopes[e], b.envelopes[e], accuracy: 1e-9, "row \(k) envelope \(e)") }
            if a.audio != b.audio { break }
        }
        // The slowed run rendered about a third of the rows; the reference all of them.
        let shown = Set(live.records.map(\.frame)).count
        XCTAssertLessThan(Double(shown), 0.5 * Double(rows), "the slowed generator rendered \(shown) frames for \(rows) rows")
        XCTAssertGreaterThan(shown, 5)
        XCTAssertEqual(Set(full.records.map(\.frame)).count, full.records.count, "one frame per row at full speed")
    }

    /// A 4 s morph (a ramp set as a preset recall sets it) takes 4 s of music, ±1 frame, at a third of the rate.
    func testAFourSecondMorphTakesFourSecondsOfMusicAtAThirdOfTheRate() throws {
        let g = FrameProducerTests.generator
        let p = try makeProducer(FilePlayback(clip: Self.excerpt), backend: SlowedGenerator(g, delay: 3 / fps), name: "morph")
        var asked = false
        let log = try run(p, untilAudioSeconds: 7) { p in
            if !asked && p.snapshot.audioSeconds >= 1 { asked = true; p.parameters.set("intensity", 2, ramp: 4) }
        }
        let intensity = try parameter("intensity", in: log)
        let start = try XCTUnwrap(intensity.firstIndex { $0 != intensity[0] }, "the morph started")
        let end = try XCTUnwrap(intensity.firstIndex { abs($0 - 2) < 1e-12 }, "the morph ended")
        let seconds = Double(log.records[end].audio - log.records[start].audio) / 44_100 + 1 / fps
        XCTAssertEqual(seconds, 4, accuracy: 1 / fps, "the morph lasted \(seconds) s of music")
        // Linear in audio time at every row in between.
        for k in start...end {
            let elapsed = Double(log.records[k].audio - log.records[start].audio) / 44_100 + 1 / fps
            XCTAssertEqual(intensity[k], intensity[0] + (2 - intensity[0]) * min(1, elapsed / 4), accuracy: 0.5 / (fps * 4) + 1e-9, "row \(k)")
        }
        let framesDuringMorph = Set(log.records[start...end].map(\.frame)).count
        XCTAssertLessThan(framesDuringMorph, (end - start + 1) / 2, "rendered at a third of the rate: \(framesDuringMorph) frames")
    }

    /// A 1-bar loop at the demo's 120 BPM repeats every 2 s of music (±1 frame), and the beat count
    /// between two points of the drop is the demo's known number of beats, at a third of the rate.
    func testAOneBarLoopRepeatsEveryTwoSecondsAndTheBeatsAreTheDemos() throws {
        let g = FrameProducerTests.generator
        let p = try makeProducer(FilePlayback(clip: Self.excerpt), backend: SlowedGenerator(g, delay: 3 / fps), name: "loop")
        let log = try run(p, untilAudioSeconds: 14)
        // Loop phase of a 1-bar loop: beat / 4; find where it wraps, in seconds of the excerpt.
        var wraps: [Double] = []
        for k in log.records.indices.dropFirst() {
            let a = log.records[k - 1], b = log.records[k]
            let ta = Double(a.audio) / 44_100, tb = Double(b.audio) / 44_100
            guard ta >= 4 else { continue }                          // past the tracker's lock-in (the drop starts at 2 s here)
            if floor(b.beat / 4) > floor(a.beat / 4) {
                let crossing = floor(b.beat / 4) * 4
                wraps.append(ta + (tb - ta) * (crossing - a.beat) / (b.beat - a.beat))
            }
        }
        XCTAssertGreaterThanOrEqual(wraps.count, 4, "loop wraps at \(wraps) in \(log.records.count) rows")
        for (a, b) in zip(wraps, wraps.dropFirst()) {
            XCTAssertEqual(b - a, DemoTrack.barSeconds, accuracy: 1 / fps, "the loop repeated after \(b - a) s of music")
        }
        // Beats between 4 s and 12 s of the excerpt (34 s and 42 s of the demo): the truth says 16.
        func beat(at seconds: Double) -> Double { log.records.first { Double($0.audio) / 44_100 >= seconds }!.beat }
        let truth = Double(DemoTrack.beatTimes.filter { $0 >= 34 && $0 < 42 }.count)
        XCTAssertEqual(beat(at: 12) - beat(at: 4), truth, accuracy: 2 / fps * 2, "beats counted against the demo's")
    }

    /// A frame that stalls for 3 s: the engine skips to the newest audio (counted, and in the status),
    /// the clocks advance over what was skipped, and the audio-to-frame latency stays bounded.
    func testAStalledFrameSkipsToTheNewestAudioAndTheLatencyStaysBounded() throws {
        let g = FrameProducerTests.generator
        let p = try makeProducer(FilePlayback(clip: Self.excerpt), backend: SlowedGenerator(g, delay: 0, stall: (frame: 24, seconds: 3)), name: "stall")
        p.maxBehindSeconds = 0.5
        let log = try run(p, untilAudioSeconds: 8)
        let s = p.snapshot
        XCTAssertGreaterThanOrEqual(s.skips, 1, "the stall made the engine skip")
        XCTAssertGreaterThanOrEqual(s.skippedSeconds, 2, "most of the 3 s stall was skipped: \(s.skippedSeconds) s")
        // The latency's audio part (its age when read, and the wait for the row's end) is bounded by the
        // skip; the frame's own render time is the machine's, not asserted.
        let audioAgeMs = s.latencyMs - s.frameTimeMs
        XCTAssertLessThanOrEqual(audioAgeMs, 1000 * (p.maxBehindSeconds + 0.25), "audio age after the stall: \(audioAgeMs) ms")
        XCTAssertLessThanOrEqual(s.behindSeconds, p.maxBehindSeconds + 0.25)
        // Across the skip the beat clock went on at the music's pace: the jump in beats matches the jump
        // in audio position (120 BPM: 2 beats a second).
        let jump = try XCTUnwrap(zip(log.records, log.records.dropFirst()).first { $1.audio - $0.audio > 44_100 })
        let seconds = Double(jump.1.audio - jump.0.audio) / 44_100
        XCTAssertEqual(jump.1.beat - jump.0.beat, 2 * seconds, accuracy: 0.25, "beats across a skip of \(seconds) s")
    }

    /// The decoder must match the network driving it: a mismatch is refused when the producer is built.
    func testADecoderOfAnotherLayoutIsRefusedAtConstruction() throws {
        var setup = DecoderSetup()
        setup.layout = DecoderLayout(paletteSize: 4, drivenResolutions: [4, 8])
        let decoder = try setup.makeDecoder(generator: FrameProducerTests.generator, fps: fps)
        XCTAssertThrowsError(try FrameProducer(source: FrameProducerTests.BlockSource(seconds: 0, block: 1837), generator: FrameProducerTests.generator,
                                               network: FrameProducerTests.network, decoder: decoder, fps: fps)) { error in
            XCTAssertTrue("\(error)".contains("decoder layout"), "\(error)")
        }
    }
}
