import Foundation
import Imaging
@testable import Live
import Outputs
import TestSupport
import XCTest

/// The HUD is drawn with the built-in bitmap font: a character it has no glyph for shows as "?" on the
/// stage screen (the outputs line once joined its parts with "·").
final class EngineHUDTests: TimeLimitedTestCase {
    func testTheOutputsLineIsDrawnWithGlyphsTheFontHas() throws {
        var c = EngineConfiguration.headlessDemo(osc: nil)
        c.outputs = [try OutputTarget(parsing: "gst:fakesink sync=false"), try OutputTarget(parsing: "gst:fakesink sync=false")]
        let engine = try Engine(c)
        engine.start()
        defer { _ = engine.stop(now: 0) }
        try waitFor("frames sent to both outputs", timeout: 60) { engine.outputs.sinks.allSatisfy { $0.counters.sent >= 2 } }
        let line = engine.outputs.hudLine(now: 0).text
        XCTAssertTrue(line.hasPrefix("OUT GST "), line)
        XCTAssertTrue(line.contains(" | GST2 "), "the outputs are told apart: \(line)")
        XCTAssertTrue(BitmapFont.canDraw(line), "every character has a glyph: \(line)")
        XCTAssertFalse(BitmapFont.canDraw("OUT SHM 1 · RTP 2"), "and the check sees one that has none")
    }
}
