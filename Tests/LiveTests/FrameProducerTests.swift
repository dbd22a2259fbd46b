import AllocationCounter
import AudioIn
import Foundation
import Features
import Live
import Basics
import ModelFiles
import StyleGAN
import Synthesis
import Tempo
import TestSupport
import XCTest

/// The live frame producer: one frame per call from whatever audio has arrived, allocation-free after
/// warm-up, and the newest finished frame reaches the display side through the triple buffer.
final class FrameProducerTests: TimeLimitedTestCase {
    static let generator: Generator = {
        let a = GeneratorArchitecture(zDim: 16, wDim: 16, imgResolution: 32, channelBase: 64, channelMax: 16, mappingLayers: 2)
        return try! Generator(weights: DefaultModel.make(seed: 5, architecture: a))
    }()
    static let network: EnvelopeModelFile = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try! EnvelopeModelFile.load(path: root.appendingPathComponent("Presets/default.envelope").path)
    }()

    /// An audio source that hands over a fixed block of the demo track per read (a deterministic clock),
    /// on the track's own time.
    final class BlockSource: AudioSource {
        let sampleRate = 44_100.0
        let mono: [Float]
        var position = 0
        var block: Int
        init(seconds: Double, block: Int) { mono = DemoTrack.render(sampleRate: 44_100).mono(); position = Int(seconds * 44_100); self.block = block }
        func read(into buffer: UnsafeMutablePointer<Float>, maxFrames: Int) -> Int {
            let n = min(block, maxFrames, mono.count - position)
            mono.withUnsafeBufferPointer { buffer.update(from: $0.baseAddress! + position, count: n) }
            position += n
            return n
        }
        var status: (text: String, warning: Bool) { ("test", false) }
        var finished: Bool { position >= mono.count }
        /// The track's own clock: sample k heard at k.
        var seconds: Double { Double(position) / sampleRate }
        var clockOfNewestRead: Int? { position > 0 ? position - 1 : nil }
        var clockNow: Int? { position }
    }

    func producer(_ source: AudioSource) throws -> FrameProducer { try Self.producer(source) }

    static func producer(_ source: AudioSource) throws -> FrameProducer {
        let decoder = try DecoderSetup().makeDecoder(generator: Self.generator, fps: 24)
        return try FrameProducer(source: source, generator: Self.generator, network: Self.network, decoder: decoder, fps: 24)
    }

    func testProducesFramesWithoutAllocatingAfterWarmUp() throws {
        let p = try producer(BlockSource(seconds: 30, block: 1838))
        // With a performance log attached: the producer only copies its records into a ring.
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("alloc-\(getpid()).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let setup = DecoderSetup()
        let d = try setup.makeDecoder(generator: Self.generator, fps: 24)
        p.log(to: try PerformanceLog(path: path, header: .init(decoder: d, setup: setup, fps: 24, sampleRate: 44_100, audio: nil, model: "m", centreSeconds: 8)))
        for _ in 0..<30 { p.produceFrame() }
        lvj_count_allocations_begin()
        for _ in 0..<100 { p.produceFrame() }
        XCTAssertEqual(lvj_count_allocations_end(), 0)
        XCTAssertEqual(p.snapshot.frames, 130)
        XCTAssertEqual(p.snapshot.bpm, 120, accuracy: 6, "the demo's tempo reaches the HUD")
    }

    /// The beat from an external source with changes on the bar allocates nothing either: MIDI clock
    /// (clocks on the track's own time), and Link (a session never enabled, so nothing leaves this
    /// machine: read every row, alone, with the detected beat standing in).
    func testExternalTempoSourcesWithChangesOnTheBarAllocateNothing() throws {
        for tempoSource in [TempoSource.midiClock, .link] {
            let source = BlockSource(seconds: 30, block: 1838)
            let tempo = TempoControl(source: tempoSource, link: try LinkSession(quantum: 4))
            let decoder = try DecoderSetup().makeDecoder(generator: Self.generator, fps: 24)
            let p = try FrameProducer(source: source, generator: Self.generator, network: Self.network, decoder: decoder, fps: 24, tempo: tempo)
            p.parameters.set("tempo.source", Double(TempoSource.allCases.firstIndex(of: tempoSource)!))
            p.parameters.set("control.quantize", Double(Quantize.allCases.firstIndex(of: .bar)!))
            var clock = 0.0
            func frames(_ n: Int) {
                for _ in 0..<n {
                    p.produceFrame()
                    while clock < source.seconds { _ = tempo.receive(status: 0xF8, data1: 0, data2: 0, at: clock); clock += 0.5 / 24 }  // 120 BPM
                }
            }
            _ = tempo.receive(status: 0xFA, data1: 0, data2: 0, at: 0)
            frames(30)
            lvj_count_allocations_begin()
            frames(100)
            XCTAssertEqual(lvj_count_allocations_end(), 0, "\(tempoSource)")
            let status = p.tempo.status
            XCTAssertEqual(status.source, tempoSource)
            if tempoSource == .link {
                XCTAssertTrue(status.fallback, "alone in the session: the detected beat stands in")
                XCTAssertNotEqual(status.linkHostSeconds, 0, "Link was read")
            } else {
                XCTAssertFalse(status.fallback)
                XCTAssertEqual(status.bpm, 120, accuracy: 0.01)
            }
        }
    }

    /// A sink that copies each frame into a buffer of its own, as a ring would, or (full) drops it.
    final class CopyingSink: FrameSink {
        let buffer: UnsafeMutablePointer<UInt8>
        let bytes: Int
        var full = false
        private(set) var frames = 0, audioSamples = 0, dropped = 0
        init(bytes: Int) { self.bytes = bytes; buffer = .allocate(capacity: bytes) }
        deinit { buffer.deallocate() }
        func submit(frame: UnsafePointer<UInt8>, audio: UnsafePointer<Float>, count: Int) -> Bool {
            audioSamples += count
            if full { dropped += 1; return false }
            buffer.update(from: frame, count: bytes); frames += 1
            return true
        }
        func submit(audio: UnsafePointer<Float>, count: Int) { audioSamples += count }
    }

    /// Every shown frame and all of the audio reach each attached sink, without an allocation on the
    /// producer; a sink that drops (a full ring) costs the producer nothing, the others still get all.
    func testSinksGetEveryFrameAndTheAudioAndASlowOneDropsItsOwn() throws {
        let source = BlockSource(seconds: 30, block: 1838)
        let p = try producer(source)
        let fast = CopyingSink(bytes: 32 * 32 * 3), slow = CopyingSink(bytes: 32 * 32 * 3)
        slow.full = true
        p.attach(fast); p.attach(slow)
        for _ in 0..<30 { p.produceFrame() }
        let framesBefore = p.snapshot.frames
        lvj_count_allocations_begin()
        for _ in 0..<100 { p.produceFrame() }
        XCTAssertEqual(lvj_count_allocations_end(), 0)
        XCTAssertEqual(fast.frames, p.snapshot.frames, "every shown frame")
        XCTAssertEqual(fast.audioSamples, 130 * 1838, "all the audio, with a frame or without")
        XCTAssertEqual(slow.dropped, p.snapshot.frames, "the full sink dropped its own frames")
        XCTAssertEqual(p.snapshot.frames - framesBefore, 100, "and the producer went on regardless")
        XCTAssertTrue((0..<3072).contains { fast.buffer[$0] != 0 }, "a picture arrived")
        p.detach(slow)
        p.produceFrame()
        XCTAssertEqual(slow.dropped, p.snapshot.frames - 1, "a detached sink gets nothing more")
    }

    func testTheDisplayGetsTheNewestFrameOnce() throws {
        let p = try producer(BlockSource(seconds: 32, block: 1838))
        XCTAssertNil(p.latest.takeNewest())
        p.produceFrame()
        let first = p.latest.takeNewest()
        XCTAssertNotNil(first)
        XCTAssertNil(p.latest.takeNewest(), "no new frame until the producer publishes one")
        let copy = Array(UnsafeBufferPointer(start: first!, count: 32 * 32 * 3))
        for _ in 0..<24 { p.produceFrame() }
        let later = Array(UnsafeBufferPointer(start: p.latest.takeNewest()!, count: 32 * 32 * 3))
        XCTAssertNotEqual(copy, later, "a second of the drop moves the picture")
        XCTAssertGreaterThan(copy.map(Int.init).reduce(0, +), 0)
    }

    func testRunsOnItsThreadAndStops() throws {
        let p = try producer(FilePlayback(clip: DemoTrack.render(sampleRate: 22_050).slice(frames: 0..<(22_050 * 2))))
        p.start()
        XCTAssertTrue(waitUntil(timeout: 120) { p.snapshot.frames > 5 }, "frames come from the producer's own thread")
        p.stop()
        XCTAssertTrue(waitUntil(timeout: 120) { p.isFinished }, "and it stops when asked")
    }
}

/// The HUD's rolling correlation, fed with the frames the display takes and their feature rows.
final class CorrelationWatchTests: TimeLimitedTestCase {
    func testShownFramesGiveARollingCorrelation() throws {
        let p = try FrameProducerTests.producer(FrameProducerTests.BlockSource(seconds: 30, block: 1838))
        let watch = CorrelationWatch(width: 32, height: 32, fps: 24, seconds: 4, updateEvery: 12)
        XCTAssertNil(watch.reading.value, "nothing before enough frames")
        // The watch computes on a queue of its own every 12 frames shown (skipping an update while the last
        // one still runs): after each update point, wait for its result before showing more.
        var shown = 0
        for _ in 0..<240 {
            p.produceFrame()
            guard let frame = p.latest.takeNewest() else { continue }
            watch.shown(rgb: frame, row: p.latest.shownRow)
            shown += 1
            if shown % 12 == 0 { XCTAssertTrue(waitUntil(timeout: 120) { !watch.isUpdating }, "update after \(shown) frames") }
        }
        let reading = watch.reading
        let value = try XCTUnwrap(reading.value)
        XCTAssertGreaterThan(value, 0)
        XCTAssertLessThanOrEqual(value, 1)
        XCTAssertGreaterThanOrEqual(reading.history.count, 5, "a sparkline's worth of updates")
        // The row that travels with a frame is the causal row it was drawn from: the tempo column is the demo's.
        XCTAssertEqual(Double(p.latest.shownRow[CausalLayout.offset(of: "tempo")!]), 120, accuracy: 6)
    }
}

/// The performance log and its replay: the frames painted again from the log are the frames the
/// producer painted on stage.
final class ReplayTests: TimeLimitedTestCase {
    func testReplayPaintsTheSameFrames() throws {
        let g = FrameProducerTests.generator
        let setup = DecoderSetup()
        let decoder = try setup.makeDecoder(generator: g, fps: 24)
        let source = FrameProducerTests.BlockSource(seconds: 30, block: 1838)
        let p = try FrameProducer(source: source, generator: g,
                                  network: FrameProducerTests.network, decoder: decoder, fps: 24)
        // Parameters moved during the set (as OSC and MIDI move them) must be replayed frame by frame.
        p.parameters.set("intensity", 1.3); p.parameters.set("smoothing", 0.2)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("replay-\(getpid()).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let log = try PerformanceLog(path: path, header: .init(decoder: decoder, setup: setup, fps: 24, sampleRate: 44_100, audio: nil,
                                                               model: g.label, centreSeconds: 8,
                                                               parameters: p.parameters.registry.parameters.map(\.name)))
        p.log(to: log)
        // Shown frames by their number, and the frame on screen after each tick. Ticks 10–19 hand over
        // three rows of audio each (a renderer at a third of the rate): the log holds every row, and the
        // last row of each frame is what the stage showed.
        var shown: [Int: [UInt8]] = [:], onScreen: [Int] = []
        for k in 0..<60 {
            source.block = (10..<20).contains(k) ? 3 * 1838 : 1838
            if k == 20 { p.parameters.set("psi", 0.6, ramp: 0.2) }
            if k == 30 {                                                   // a palette change, as EngineControl makes it
                let seed = ParameterBinding.seed(paletteNumber: 9, group: 1)
                p.parameters.set("middle.palette", 9)
                p.change(palette: .init(group: 1, latents: Palette.draw(generator: g, size: p.paletteSize, seed: seed), seed: seed))
            }
            if k == 40 { p.parameters.set("freeze", 1) }
            if k == 45 { p.parameters.set("freeze", 0) }
            if k == 50 { p.parameters.set("blackout", 1) }
            if k == 52 { p.parameters.set("blackout", 0) }
            p.produceFrame()
            if let frame = p.latest.takeNewest() { shown[p.snapshot.frames - 1] = Array(UnsafeBufferPointer(start: frame, count: 32 * 32 * 3)) }
            onScreen.append(p.snapshot.frames - 1)
            if k % 7 == 0 { log.flush() }
        }
        log.flush()
        let read = try PerformanceLog.read(path: path)
        XCTAssertEqual(read.records.count, p.snapshot.rows, "one record per row of music")
        XCTAssertGreaterThanOrEqual(read.records.count, shown.count + 15, "the slow ticks logged rows that were never shown")
        let intensity = try XCTUnwrap(read.header.parameters?.firstIndex(of: "intensity"))
        XCTAssertEqual(read.records[3].parameters?[intensity], 1.3)
        let replay = try Replay(log: read, generator: g)
        var ws = [Float](repeating: 0, count: g.numWs * g.architecture.wDim), image = [Float](repeating: 0, count: g.imageCount)
        var rgb = [UInt8](repeating: 0, count: 32 * 32 * 3)
        var compared = 0
        for k in read.records.indices {
            ws.withUnsafeMutableBufferPointer { replay.frame(k, ws: $0.baseAddress!) }
            if replay.blackFrames.contains(k) {
                rgb = [UInt8](repeating: 0, count: rgb.count)
            } else {
                ws.withUnsafeBufferPointer { w in image.withUnsafeMutableBufferPointer { g.synthesize(ws: w.baseAddress!, noise: .custom, into: $0.baseAddress!) } }
                image.withUnsafeBufferPointer { i in rgb.withUnsafeMutableBufferPointer { ImageConversion.rgb24(i.baseAddress!, channels: 3, size: 32, into: $0.baseAddress!) } }
            }
            let frame = read.records[k].frame
            guard k == read.records.count - 1 || read.records[k + 1].frame != frame else { continue }
            XCTAssertTrue(rgb == shown[frame], "frame \(frame) (row \(k))")
            compared += 1
        }
        XCTAssertEqual(compared, shown.count, "every frame shown was painted again")
        // The frames moved: the comparison is not of one still picture; freeze held, blackout was black.
        XCTAssertTrue(shown[onScreen[5]] != shown[onScreen[55]])
        XCTAssertTrue(shown[onScreen[41]] == shown[onScreen[44]])
        XCTAssertTrue(shown[onScreen[51]]!.allSatisfy { $0 == 0 })
        XCTAssertEqual(Set(replay.blackFrames.map { read.records[$0].frame }), [onScreen[50], onScreen[51]])
    }

    func testACutLastLineIsLeftOut() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cut-\(getpid()).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let g = FrameProducerTests.generator
        let setup = DecoderSetup()
        let decoder = try setup.makeDecoder(generator: g, fps: 24)
        let log = try PerformanceLog(path: path, header: .init(decoder: decoder, setup: setup, fps: 24, sampleRate: 44_100, audio: nil, model: "m", centreSeconds: 8))
        let env = [Double](repeating: 0.5, count: 17)
        for k in 0..<3 { env.withUnsafeBufferPointer { log.add(frame: k, audioPosition: k * 1838, beat: Double(k) / 12, time: Double(k), envelopes: $0.baseAddress!) } }
        log.flush()
        var text = try String(contentsOfFile: path, encoding: .utf8)
        text.removeLast(20)                                   // a crash mid-line
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertEqual(try PerformanceLog.read(path: path).records.count, 2)
        try "garbage".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try PerformanceLog.read(path: path)) { XCTAssertTrue("\($0)".contains(path)) }
    }
}

/// Render threads yield to the audio server: without real-time scheduling (containers, laptops without
/// rtprio) jackd competes with them on equal terms, and a render burst on both cores costs xruns.
final class ThreadPriorityTests: TimeLimitedTestCase {
    func testRenderThreadsRunNicerThanTheRest() {
        let main = ThreadPriority.currentNiceness()
        XCTAssertNotNil(main)
        final class Box: @unchecked Sendable { var value: Int32? }
        let inThread = Box()
        let done = DispatchSemaphore(value: 0)
        Thread {
            ThreadPriority.yieldToAudio()
            inThread.value = ThreadPriority.currentNiceness()
            done.signal()
        }.start()
        done.wait()
        XCTAssertEqual(inThread.value, min(19, (main ?? 0) + 5), "the calling thread only")
        XCTAssertEqual(ThreadPriority.currentNiceness(), main, "other threads keep their priority")
    }
}

extension FrameProducer {
    /// Ticks the producer until its state has advanced by `rows` more rows of music (audio arrives in
    /// real time from a live source: a tick with no new audio renders nothing); false at the deadline.
    @discardableResult
    func advance(rows: Int, timeout: Double = 60) -> Bool {
        let target = snapshot.rows + rows
        return waitUntil(timeout: timeout) { produceFrame(); return snapshot.rows >= target }
    }
}
