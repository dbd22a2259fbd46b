import AudioIn
import Foundation
import Live
import StyleGAN
import Synthesis
import TestSupport
import XCTest

/// The engine's JACK side against a real `jackd -d dummy`: a file played through out_1/out_2 and
/// analysed from exactly what they play; the server restarting at another sample rate; the buffer
/// size changing under a running engine.
final class JACKEngineTests: TimeLimitedTestCase {
    var server: JACKTestServer!

    override func setUpWithError() throws {
        server = JACKTestServer()
        try server.start()
    }

    override func tearDown() { server.stop(); server = nil }

    /// The demo track at any rate, as the live command loads it.
    let demo: JACKSource.FileLoader = { rate in DemoTrack.render(sampleRate: rate) }

    /// Reads what the source delivers until `frames` arrived (a deadline ends it if nothing comes).
    func drain(_ source: JACKSource, frames: Int) -> [Float] {
        var out = [Float](), buffer = [Float](repeating: 0, count: 8192)
        let deadline = Date().addingTimeInterval(TestDeadline.seconds(120))
        while out.count < frames && Date() < deadline {
            let n = buffer.withUnsafeMutableBufferPointer { source.read(into: $0.baseAddress!, maxFrames: 8192) }
            out += buffer[0..<n]
            usleep(5_000)
        }
        return out
    }

    func testAFilePlaysThroughTheOutputsAndIsAnalysedFromWhatTheyPlay() throws {
        let source = try JACKSource(connect: nil, playing: demo, serverName: server.name)
        XCTAssertEqual(source.sampleRate, 48_000)
        let heard = drain(source, frames: 48_000)
        XCTAssertGreaterThanOrEqual(heard.count, 48_000)
        // Sample for sample the file's first second (mixed to mono), resampled to the server's rate:
        // the analysis hears exactly what goes to the speakers, from the first sample on.
        let file = DemoTrack.render(sampleRate: 48_000).mono()
        var worst: Float = 0
        for i in 0..<48_000 { worst = max(worst, abs(heard[i] - file[i])) }
        XCTAssertLessThan(worst, 1e-6)
        XCTAssertGreaterThan(heard.prefix(48_000).map(abs).max()!, 0.01, "not silence")
        let connections = server.connections() ?? []
        let out1 = connections.firstIndex(of: "latentvj:out_1")
        XCTAssertNotNil(out1, "\(connections)")
        XCTAssertEqual(out1.map { connections[$0 + 1] }, "   system:playback_1", "out_1 goes to the speakers")
        XCTAssertTrue(source.status.text.hasPrefix("JACK playback 0:0"), source.status.text)
    }

    func testServerReturningAtAnotherRateIsFollowed() throws {
        let source = try JACKSource(connect: nil, playing: demo, serverName: server.name)
        let producer = try FrameProducerTests.producer(source)
        // Frames until a fifth of a second of the file has been analysed (the main loop's pace: a poll).
        XCTAssertTrue(waitUntil(timeout: 60) { producer.produceFrame(); return producer.snapshot.audioSeconds > 0.2 })
        let before = producer.snapshot.audioSeconds

        server.stop()
        XCTAssertTrue(waitUntil(timeout: 60) { !source.input.isConnected })
        // The show goes on, on silence at the wall clock's pace: ramps and controls keep moving.
        XCTAssertTrue(producer.advance(rows: 5), "the state advances while the server is gone")
        XCTAssertTrue(source.status.warning)

        try server.start(rate: 44_100, period: 512)
        var clock = 0.0
        XCTAssertTrue(waitUntil(timeout: 60) { clock += 2; _ = source.keepAlive(now: clock); return source.input.isConnected })
        XCTAssertEqual(source.sampleRate, 44_100)
        XCTAssertTrue(waitUntil(timeout: 60) {
            producer.produceFrame()
            return producer.sampleRateChanges >= 1 && producer.snapshot.audioSeconds > before + 0.3 && producer.snapshot.rms > 0.001
        })
        XCTAssertEqual(producer.sampleRateChanges, 1, "a new analysis at the new rate")
        XCTAssertFalse(source.status.warning, source.status.text)
        XCTAssertGreaterThan(producer.snapshot.audioSeconds, before + 0.3, "audio flows again, analysed at 44.1 kHz")
        XCTAssertGreaterThan(producer.snapshot.rms, 0.001, "and it is the file, not silence")
    }

    func testBufferSizeChangeKeepsTheAudioFlowing() throws {
        let source = try JACKSource(connect: nil, playing: demo, serverName: server.name)
        _ = drain(source, frames: 4_800)
        XCTAssertEqual(source.input.stats.bufferSize, 256)
        XCTAssertEqual(try server.tool("jack_bufsize", ["1024"]), 0)
        XCTAssertTrue(waitUntil(timeout: 60) { source.input.stats.bufferSize == 1024 })
        let after = drain(source, frames: 24_000)
        XCTAssertGreaterThanOrEqual(after.count, 24_000, "audio keeps arriving in bigger blocks")
        XCTAssertTrue(source.input.isConnected)
    }

    /// The room's sound never depends on the renderer: the file player feeds JACK from a thread of its
    /// own, so a frame that stalls for 3 s (a model reload, a huge model, a stalled disk) leaves no gap in
    /// what out_1/out_2 play, sample for sample against the file. A second JACK client listens to them.
    func testAStalledFrameLeavesNoGapInWhatTheOutputsPlay() throws {
        let source = try JACKSource(connect: nil, playing: demo, serverName: server.name)
        var options = JACKInput.Options()
        options.clientName = "listener"
        options.serverName = server.name
        let listener = try JACKInput(options: options)
        try listener.activate()
        XCTAssertEqual(try listener.connect(pattern: "latentvj:out_"), 2)
        let slowed = SlowedGenerator(FrameProducerTests.generator, delay: 0, stall: (frame: 2, seconds: 3))
        let decoder = try DecoderSetup().makeDecoder(generator: FrameProducerTests.generator, fps: 24)
        let producer = try FrameProducer(source: source, generator: slowed, network: FrameProducerTests.network, decoder: decoder, fps: 24)
        producer.start()
        defer { producer.stop(); _ = waitUntil(timeout: 60) { producer.isFinished } }
        // What the outputs play, for 5 s: through the stall and after it.
        var heard = [Float](), buffer = [Float](repeating: 0, count: 16_384)
        XCTAssertTrue(waitUntil(timeout: 120) {
            let n = listener.read(into: &buffer, maxFrames: 8192)
            for i in 0..<n { heard.append(0.5 * (buffer[2 * i] + buffer[2 * i + 1])) }
            return heard.count >= 5 * 48_000 && slowed.rendered > 3
        }, "5 s heard through a 3 s stall (\(heard.count) samples, \(slowed.rendered) frames)")
        XCTAssertGreaterThan(slowed.rendered, 3, "the producer went on after the stall")
        XCTAssertEqual(listener.stats.overflows, 0, "the listener kept up")
        XCTAssertEqual(source.input.stats.playbackShortfall, 0, "the playback ring never ran dry")
        // The listener joined after playback started: find where in the file its first sounding sample is.
        let file = DemoTrack.render(sampleRate: 48_000).mono()
        // (A server overloaded by the machine reports xruns: cycles it dropped itself, said in the failure.)
        let xruns = "JACK xruns: player \(source.input.stats.xruns), listener \(listener.stats.xruns)"
        let first = try XCTUnwrap(heard.firstIndex { abs($0) > 1e-3 }, xruns)
        // Anywhere in the file, which loops: a loaded machine can take seconds to join the listener.
        func played(_ i: Int, _ offset: Int) -> Float { file[(i + offset) % file.count] }
        let offset = try XCTUnwrap((0..<file.count).first { k in
            (0..<64).allSatisfy { abs(played(first + $0, k) - heard[first + $0]) < 1e-6 }
        }, "the heard audio is the file (\(xruns); first sounding sample \(first) of \(heard.count))")
        // Cycles the server dropped itself (xruns: a machine too loaded to run JACK's period on time) are
        // gaps no client can prevent, so the sample-exact comparison needs a run without them. The ring's
        // shortfall, asserted above on every run, is what fails when the engine's stall reaches the outputs.
        guard source.input.stats.xruns == 0 && listener.stats.xruns == 0 else {
            print("JACK server dropped cycles (\(xruns)): sample-exact comparison left out of this run; the playback ring never ran dry")
            return
        }
        var worst: Float = 0, at = 0
        for i in first..<heard.count where abs(heard[i] - played(i, offset)) > worst { worst = abs(heard[i] - played(i, offset)); at = i }
        XCTAssertLessThan(worst, 1e-6, "sample \(at) of what out_1/out_2 played differs from the file: no gap, no glitch (\(xruns))")
    }
}
