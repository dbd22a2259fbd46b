import AllocationCounter
import AudioIn
import CJack
import Foundation
import Synchronization
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// `JACKInput` against a real server (`jackd -d dummy -r 48000 -p 256`, started per test under a name of
/// its own) and JACK's example clients. Without jackd installed these fail and say how to install it.
final class JACKClientTests: TimeLimitedTestCase {
    var server: JACKTestServer!
    private var inputs: [JACKInput] = []

    override func setUpWithError() throws {
        server = JACKTestServer()
        try server.start()
    }

    override func tearDown() {
        for input in inputs { input.close() }  // clients first: closing against a live server is quick
        inputs = []
        server.stop()
        server = nil
    }

    func open(_ name: String = "latentvj", outputs: Bool = false) throws -> JACKInput {
        var options = JACKInput.Options()
        options.clientName = name
        options.serverName = server.name
        options.playbackOutputs = outputs
        let input = try JACKInput(options: options)
        inputs.append(input)
        return input
    }

    func waitForPort(_ port: String, file: StaticString = #filePath, line: UInt = #line) {
        let found = waitUntil(timeout: 60) { self.server.ports()?.contains(port) == true }
        XCTAssertTrue(found, "\(port) never appeared; server log:\n\(server.log)", file: file, line: line)
    }

    /// Drains interleaved stereo until `seconds` of the server's audio arrived, the way the frame producer
    /// does (preallocated buffer); a deadline ends it if the audio stops coming.
    private func record(_ input: JACKInput, seconds: Double) -> (left: [Float], right: [Float]) {
        var buffer = [Float](repeating: 0, count: 2 * 4096)
        var left: [Float] = [], right: [Float] = []
        let wanted = Int(seconds * Double(input.stats.sampleRate))
        let deadline = Date().addingTimeInterval(TestDeadline.seconds(120))
        while left.count < wanted && Date() < deadline {
            let frames = input.read(into: &buffer, maxFrames: 4096)
            for i in 0..<frames { left.append(buffer[2 * i]); right.append(buffer[2 * i + 1]) }
            usleep(5_000)
        }
        return (left, right)
    }

    // MARK: Opening

    func testOpensTheClientWithItsPortsAndRuns() throws {
        let input = try open(outputs: true)
        XCTAssertEqual(input.clientName, "latentvj")
        let expected = ["in_1", "in_2", "midi_in", "midi_out", "out_1", "out_2"].map { "latentvj:\($0)" }
        XCTAssertEqual(input.portNames, expected)
        try input.activate()
        let listed = server.ports() ?? []
        for port in expected { XCTAssertTrue(listed.contains(port), "jack_lsp does not list \(port): \(listed)") }
        XCTAssertTrue(waitUntil(timeout: 60) { input.stats.callbacks > 20 }, "the process callback does not run")
        XCTAssertTrue(input.isConnected)
        XCTAssertEqual(input.stats.sampleRate, 48000)
        XCTAssertEqual(input.stats.bufferSize, 256)
        XCTAssertNotEqual(input.processThread, 0)

        // The name is taken now: JACK renames the second client, and we report the name it got.
        let second = try open()
        XCTAssertNotEqual(second.clientName, "latentvj")
        XCTAssertTrue(second.clientName.hasPrefix("latentvj"), second.clientName)
        XCTAssertEqual(second.portNames.first, "\(second.clientName):in_1")
    }

    func testNoServerIsSaidPlainly() {
        var options = JACKInput.Options()
        options.serverName = "lvj-nobody-runs-this-\(getpid())"
        XCTAssertThrowsError(try JACKInput(options: options)) { error in
            XCTAssertEqual(error as? JACKError, .noServer(serverName: options.serverName))
            XCTAssertTrue("\(error)".contains("no JACK server"), "\(error)")
            XCTAssertTrue("\(error)".contains("jackd -d dummy"), "\(error)")
        }
    }

    func testBufferSizeChangeUpdatesTheStats() throws {
        let input = try open()
        try input.activate()
        let bufsize = try XCTUnwrap(JACKTestServer.which("jack_bufsize"), "jack_bufsize (package jackd2) is missing")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: bufsize)
        p.arguments = ["512"]
        p.environment = ProcessInfo.processInfo.environment.merging(["JACK_DEFAULT_SERVER": server.name]) { $1 }
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        XCTAssertTrue(waitUntil(timeout: 60) { input.stats.bufferSize == 512 }, "buffer size stayed \(input.stats.bufferSize)")
        let before = input.stats.callbacks
        XCTAssertTrue(waitUntil(timeout: 60) { input.stats.callbacks > before + 10 }, "callbacks stopped after the change")
    }

    // MARK: Signal

    /// jack_metro clicks at 120 bpm: bursts every 24000 frames, on both inputs (one source feeds both).
    func testMetronomeClicksArriveAtTheirPeriod() throws {
        let input = try open()
        try input.activate()
        try server.startClient("jack_metro", ["-n", "lvjmetro", "-b", "120"])
        waitForPort("lvjmetro:120_bpm")
        XCTAssertEqual(try input.connect(pattern: "lvjmetro:"), 2, "one output port goes to both inputs")
        input.skip(frames: input.availableFrames)
        let (left, right) = record(input, seconds: 2.6)
        XCTAssertGreaterThan(left.count, 48000 * 2)
        XCTAssertEqual(left, right)

        // Onsets: a loud sample after at least 2000 quiet ones (a click lasts 100 ms, a beat is 500 ms).
        var onsets: [Int] = [], quiet = 0  // (a click already sounding when recording starts is no onset)
        for (i, x) in left.enumerated() {
            if abs(x) > 0.01 { if quiet >= 2000 { onsets.append(i) }; quiet = 0 } else { quiet += 1 }
        }
        XCTAssertGreaterThanOrEqual(onsets.count, 4, "clicks found at \(onsets)")
        for (a, b) in zip(onsets, onsets.dropFirst()) {
            XCTAssertEqual(Double(b - a), 24000, accuracy: 2, "click interval at \(a)")
        }
        XCTAssertEqual(input.stats.overflows, 0)
    }

    /// One JACKInput plays two sines through out_1/out_2 from its playback ring; another records them:
    /// each channel arrives sample-exact on its own input (proving playback, capture and the interleaving).
    func testPlaybackOfOneClientArrivesExactlyAtAnother() throws {
        let player = try open("lvjplayer", outputs: true)
        let listener = try open()
        try player.activate()
        try listener.activate()
        XCTAssertEqual(try listener.connect(pattern: "lvjplayer:out"), 2)

        // Left: 1 kHz (48-sample period); right: 3 kHz (16 samples); both functions of the frame index n.
        @Sendable func leftSample(_ n: Int) -> Float { 0.5 * Float(sin(2 * Double.pi * Double(n % 48) / 48)) }
        @Sendable func rightSample(_ n: Int) -> Float { 0.25 * Float(sin(2 * Double.pi * Double(n % 16) / 16)) }
        let playing = Atomic<Bool>(true)
        let stopped = DispatchSemaphore(value: 0)
        Thread {
            var n = 0
            var chunk = [Float](repeating: 0, count: 2 * 512)
            while playing.load(ordering: .relaxed) {
                let frames = min(512, player.playbackSpaceFrames)
                for i in 0..<frames { chunk[2 * i] = leftSample(n + i); chunk[2 * i + 1] = rightSample(n + i) }
                n += player.writePlayback(chunk, frames: frames)
                usleep(2_000)
            }
            stopped.signal()
        }.start()
        let (left, right) = record(listener, seconds: 1.5)
        playing.store(false, ordering: .relaxed)
        stopped.wait()

        let start = try XCTUnwrap(left.firstIndex { $0 != 0 }, "nothing arrived")
        let heard = Array(left[start...].prefix(24000)), heardRight = Array(right[start...].prefix(24000))
        XCTAssertEqual(heard.count, 24000)
        // Find the phase on the left channel, then both channels must match the played frames exactly.
        let phase = try XCTUnwrap((0..<48).first { k in (0..<48).allSatisfy { abs(heard[$0] - leftSample($0 + k)) < 1e-6 } },
                                  "the left channel is not the 1 kHz sine that was played")
        let leftErrors = heard.indices.filter { abs(heard[$0] - leftSample($0 + phase)) > 1e-6 }.count
        let rightErrors = heardRight.indices.filter { abs(heardRight[$0] - rightSample($0 + phase)) > 1e-6 }.count
        XCTAssertEqual(leftErrors, 0)
        XCTAssertEqual(rightErrors, 0, "the right channel is not the 3 kHz sine, in step with the left")
    }

    // MARK: MIDI

    /// jack_midiseq plays C4 at the loop start and D#4 12000 frames later, looping every 24000 frames.
    func testMIDINotesArrive() throws {
        let input = try open()
        try input.activate()
        try server.startClient("jack_midiseq", ["lvjseq", "24000", "0", "60", "8000", "12000", "63", "8000"])
        waitForPort("lvjseq:out")
        XCTAssertEqual(try input.connect(pattern: "lvjseq:"), 1, "the MIDI port goes to midi_in only")
        var events: [JACKMIDIEvent] = []
        _ = waitUntil(timeout: 60) {
            events += input.readMIDI()
            return events.filter { $0.status == 0x90 }.count >= 4
        }
        let noteOns = events.filter { $0.status & 0xF0 == 0x90 && $0.data2 > 0 }
        let c4 = noteOns.filter { $0.data1 == 60 }, dSharp4 = noteOns.filter { $0.data1 == 63 }
        XCTAssertFalse(c4.isEmpty, "no note-on for C4 among \(events)")
        XCTAssertFalse(dSharp4.isEmpty, "no note-on for D#4 among \(events)")
        XCTAssertTrue(events.allSatisfy { $0.size == 3 })
        XCTAssertTrue(events.contains { $0.status & 0xF0 == 0x80 }, "no note-off among \(events)")
        if let a = c4.first, let b = dSharp4.first {
            let apart = ((Int(b.time) - Int(a.time)) % 24000 + 24000) % 24000
            XCTAssertEqual(apart, 12000, "note times \(a.time), \(b.time)")
        }
        XCTAssertEqual(input.stats.midiDropped, 0)
    }

    // MARK: Server going away

    func testServerStoppingDisconnectsAndReconnectResumes() throws {
        try checkSurvivesServerLoss(signal: SIGTERM)
    }

    func testServerCrashDisconnectsAndReconnectResumes() throws {
        try checkSurvivesServerLoss(signal: SIGKILL)
    }

    private func checkSurvivesServerLoss(signal: Int32) throws {
        let input = try open()
        try input.activate()
        XCTAssertTrue(waitUntil(timeout: 60) { input.stats.callbacks > 20 })

        server.stop(signal: signal)
        XCTAssertTrue(waitUntil(timeout: 60) { !input.isConnected }, "isConnected stayed true after the server died")
        XCTAssertThrowsError(try input.reconnect()) { error in
            XCTAssertEqual(error as? JACKError, .noServer(serverName: server.name))
        }
        XCTAssertFalse(input.isConnected)
        let frozen = input.stats.callbacks

        try server.start()
        // What the engine does: try every so often until it works.
        let back = waitUntil(timeout: 60) { (try? input.reconnect()) != nil && input.isConnected }
        XCTAssertTrue(back, "reconnect() did not succeed against the restarted server")
        XCTAssertTrue(input.isActive)
        XCTAssertTrue(waitUntil(timeout: 60) { input.stats.callbacks > frozen + 20 }, "callbacks did not resume")
        XCTAssertTrue(server.ports()?.contains("\(input.clientName):in_1") == true)
    }
}
