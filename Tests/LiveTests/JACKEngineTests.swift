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
        for _ in 0..<5 { producer.produceFrame() }           // the show goes on, on silence
        XCTAssertTrue(source.status.warning)

        try server.start(rate: 44_100, period: 512)
        var clock = 0.0
        XCTAssertTrue(waitUntil(timeout: 60) { clock += 2; source.keepAlive(now: clock); return source.input.isConnected })
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
}
