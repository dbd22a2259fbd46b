import Foundation
import Live
import TestSupport
import XCTest

/// An engine a driver drops without `stop` (it failed half-way) ends its threads while what they use
/// is alive. Before, the MIDI thread read its unowned controller while it deinitialised: a crash.
final class EngineLifecycleTests: TimeLimitedTestCase {
    func testAnEngineDroppedWithoutStopEndsItsThreads() throws {
        weak var producer: FrameProducer?
        do {
            let engine = try Engine(.headlessDemo(osc: .init(port: 0)))
            producer = engine.producer
            engine.start()
            try waitFor("a frame", timeout: 60) { engine.producer.snapshot.frames >= 1 }
            XCTAssertNotNil(engine.control.midi, "the MIDI thread runs")
        }
        XCTAssertNil(producer, "the producer (and its thread) went with the engine")
    }

    func testAnEngineNeverStartedCanBeDropped() throws {
        _ = try Engine(.headlessDemo(osc: nil))
    }
}

extension EngineConfiguration {
    /// The demo track once, on the internal clock, the tests' small model, no window.
    static func headlessDemo(osc: EngineConfiguration.OSC?) -> EngineConfiguration {
        var c = EngineConfiguration()
        c.audio = .file(path: nil, loops: false, throughJACK: false, connect: nil)
        c.modelPath = RenderAdaptationTests.modelPath
        c.window = nil
        c.osc = osc
        return c
    }
}
