import AudioIn
import Control
import Foundation
import Live
import TestSupport
import XCTest

/// The engine's threads meeting on shared state, each pair exercised at once for real: MIDI learn armed
/// and cancelled on the main thread while the MIDI thread offers messages; a tablet mapping installed
/// while liblo's thread dispatches; the JACK client closed and reopened while the frame producer reads.
/// In a normal build these check that nothing is lost or crashes; built with ThreadSanitizer
/// (`make tsan`) they are the test of the locking itself: a data race there fails the run.
final class ConcurrencyTests: TimeLimitedTestCase {
    var root: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }

    /// Runs `body` on a second thread until `main` returns; waits for it to finish.
    func concurrently(_ body: @escaping @Sendable (_ keepGoing: () -> Bool) -> Void, while main: () throws -> Void) rethrows {
        let running = Locked(true)
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread { body { running.value }; done.signal() }
        defer { running.withLock { $0 = false }; done.wait() }
        try main()
    }

    func testLearnArmedOnTheMainThreadWhileTheMIDIThreadOffersMessages() throws {
        let store = ParameterStore(registry: .live(noiseResolutions: [4, 8], featureGroups: ["rms"]))
        let midi = try MIDIControl(store: store, mappingPaths: [])
        let intensity = store.registry.index(of: "intensity")!
        let handled = Locked(0)
        try concurrently({ keepGoing in
            var cc: UInt8 = 0
            while keepGoing() {
                midi.handle(bytes: [0xB0, 20 + cc % 8, cc % 128]); cc &+= 1
                handled.withLock { $0 += 1 }
            }
        }, while: {
            var learned = 0
            for i in 0..<300 {
                midi.arm(learn: intensity)
                // Disarmed first, then the binding is saved and reported: wait for the report itself.
                XCTAssertTrue(waitUntil(timeout: 60) { learned += midi.takePending().learned.count; return learned > i }, "arming \(i)")
                XCTAssertNil(midi.learning, "a learn that was taken is disarmed")
                midi.cancelLearn()
            }
            XCTAssertGreaterThanOrEqual(learned, 300, "every arming was taken by a control moving on the other thread")
        })
        XCTAssertGreaterThan(handled.value, 300)
    }

    /// The MIDI thread feeds clock, start and taps into the tempo tracker while the frame producer reads
    /// the beat every row and the main thread reads the status and moves feedback controls.
    func testMIDIClockAndTapsWhileTheProducerReadsTheBeat() throws {
        let source = FrameProducerTests.BlockSource(seconds: 20, block: 1838)
        let producer = try FrameProducerTests.producer(source)
        let store = producer.parameters
        store.set("tempo.source", 1)
        store.set("control.quantize", 1)
        let midi = try MIDIControl(store: store, mappingPaths: [root.appendingPathComponent("Mappings/nanokontrol2.yaml").path])
        midi.tempo = producer.tempo
        midi.clockNow = { 20 }
        let sent = Locked(0)
        midi.feedbackOut = { messages in sent.withLock { $0 += messages.count } }
        try concurrently({ keepGoing in
            var t = 19.0
            midi.handle(bytes: [0xFA], at: t)
            while keepGoing() {
                midi.handle(bytes: [0xF8], at: t); t += 0.5 / 24
                midi.handle(bytes: [0xB0, 48, 127])
                midi.pollOnce()
            }
        }, while: {
            for k in 0..<200 {
                producer.produceFrame()
                _ = producer.tempo.status
                store.set("tempo.tap", 1)
                if k % 20 == 0 { midi.refreshFeedback(); Preset(name: "p", parameters: ["intensity": Double(k % 3)]).apply(to: store, onBeat: true) }
            }
        })
        XCTAssertGreaterThan(producer.tempo.clockMessages, 24)
        XCTAssertGreaterThan(sent.value, 0)
    }

    func testATabletMappingInstalledWhileLibloDispatches() throws {
        let store = ParameterStore(registry: .live(noiseResolutions: [4, 8], featureGroups: ["rms"]))
        let server = try OSCServer(port: 0, store: store, filter: .privateNetworks)
        let midi = try MIDIControl(store: store, mappingPaths: [root.appendingPathComponent("Mappings/touchosc.yaml").path])
        let tablet = try OSCPeer()
        let port = server.port
        try concurrently({ keepGoing in
            var k = 0.0
            while keepGoing() { tablet.send(to: port, "/1/fader4", [.number(k.truncatingRemainder(dividingBy: 1))]); k += 0.01; usleep(200) }
        }, while: {
            for _ in 0..<200 {
                server.mappedAddress = { [weak midi] address, values in midi?.handle(osc: address, arguments: values) ?? false }
                server.mappedAddress = nil
            }
            server.mappedAddress = { [weak midi] address, values in midi?.handle(osc: address, arguments: values) ?? false }
            let before = store.value("intensity")!
            try waitFor("the fader to move intensity through the installed mapping") { store.value("intensity") != before }
        })
        server.stop()
    }

    func testTheJACKClientReopenedWhileTheFrameSideReads() throws {
        let jack = JACKTestServer()
        try jack.start()
        defer { jack.stop() }
        var options = JACKInput.Options()
        options.serverName = jack.name
        let input = try JACKInput(options: options)
        try input.activate()
        let reads = Locked(0)
        try concurrently({ keepGoing in
            let buffer = UnsafeMutablePointer<Float>.allocate(capacity: 2 * 4096)
            defer { buffer.deallocate() }
            while keepGoing() {                                  // what the frame producer calls per frame
                _ = input.read(into: buffer, maxFrames: 4096)
                _ = input.microsecondsNow
                _ = input.stats.lastCallbackMicros
                _ = input.isConnected
                reads.withLock { $0 += 1 }
                usleep(500)
            }
        }, while: {
            for _ in 0..<5 {                                     // what the main loop does after a server loss
                input.close()
                try input.reconnect()
                XCTAssertTrue(input.isConnected)
                XCTAssertTrue(waitUntil(timeout: 60) { input.stats.callbacks > 0 })
            }
        })
        XCTAssertGreaterThan(reads.value, 0)
    }
}
