import Control
import Foundation
import Live
import TestSupport
import XCTest

/// A tablet layout's own OSC addresses through the engine's OSC server into the mapping router, over
/// real UDP: the shipped TouchOSC layout's XY pad (`/3/xy` with two values; `arg: 0` and `arg: 1`) moves
/// both of its parameters, and a fader (one value) still moves its own.
final class TabletMappingTests: TimeLimitedTestCase {
    var root: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }

    func testTheXYPadOfTheShippedTouchOSCLayoutMovesBothParameters() throws {
        let producer = try FrameProducerTests.producer(FrameProducerTests.BlockSource(seconds: 30, block: 1838))
        let store = producer.parameters
        let server = try OSCServer(port: 0, store: store, filter: .privateNetworks)
        let control = EngineControl(producer: producer, generator: FrameProducerTests.generator, presets: PresetLibrary(folder: root.appendingPathComponent("Presets").path),
                                    osc: server, modelName: "test")
        control.midi = try MIDIControl(store: store, mappingPaths: [root.appendingPathComponent("Mappings/touchosc.yaml").path])
        let tablet = try OSCPeer()
        let (temperature, psi) = (store.value("temperature")!, store.value("psi")!)
        XCTAssertTrue(tablet.send(to: server.port, "/3/xy", [.number(1), .number(0)]))
        try waitFor("the XY pad to move temperature and psi", details: { "temperature \(store.value("temperature")!), psi \(store.value("psi")!), rejected \(server.totalRejected)" }) {
            store.value("temperature") != temperature && store.value("psi") != psi
        }
        XCTAssertEqual(store.value("psi"), store.registry[store.registry.index(of: "psi")!].minimum, "y = 0: the bottom of psi's range")
        XCTAssertEqual(server.totalRejected, 0)
        let fader = store.value("intensity")!
        XCTAssertTrue(tablet.send(to: server.port, "/1/fader4", [.number(1)]))
        try waitFor("fader 4 to move intensity") { store.value("intensity") != fader }
        // A pad message with a non-number is refused whole, not half-applied.
        let before = (store.value("temperature")!, store.value("psi")!)
        XCTAssertTrue(tablet.send(to: server.port, "/3/xy", [.number(0.2), .text("up")]))
        try waitFor("the malformed pad message to be counted") { server.totalRejected > 0 }
        XCTAssertEqual(store.value("temperature"), before.0); XCTAssertEqual(store.value("psi"), before.1)
        _ = control
    }
}
