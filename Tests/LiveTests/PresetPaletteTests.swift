import Control
import Foundation
import Live
import StyleGAN
import Synthesis
import TestSupport
import XCTest

/// A preset recall changes the palettes of all three groups at once (deep, middle, shallow). Each must
/// reach the decoder, or the performance log (and any replay of it) disagrees with the screen.
final class PresetPaletteTests: TimeLimitedTestCase {
    func testRecallingAPresetSwapsInEveryPaletteGroup() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("palettes-\(getpid())-\(UUID().uuidString.prefix(6))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "name: colours\nparameters:\n  deep.palette: 11\n  middle.palette: 22\n  shallow.palette: 33\n"
            .write(toFile: "\(folder)/colours.preset.yaml", atomically: true, encoding: .utf8)
        let p = try FrameProducerTests.producer(FrameProducerTests.BlockSource(seconds: 30, block: 1838))
        let control = EngineControl(producer: p, generator: FrameProducerTests.generator, presets: PresetLibrary(folder: folder),
                                    osc: nil, modelName: "test")
        for _ in 0..<5 { p.produceFrame() }
        let before = p.paletteSeeds
        control.recall("colours", morph: 0)
        for k in 0..<3 {                                     // main-loop turns with frames between them
            control.poll(now: Double(k), status: (24, nil, 120, false))
            p.produceFrame()
        }
        let expected = [11, 22, 33].enumerated().map { ParameterBinding.seed(paletteNumber: $0.element, group: $0.offset) }
        XCTAssertEqual(p.paletteSeeds, expected, "every group's palette arrived (before: \(before))")
        XCTAssertTrue(zip(before, expected).allSatisfy { $0 != $1 }, "each one is a change")
    }

    func testTwoChangesOfOneGroupBeforeAFrameKeepTheLaterAndHandBackTheEarlier() throws {
        let p = try FrameProducerTests.producer(FrameProducerTests.BlockSource(seconds: 30, block: 1838))
        for _ in 0..<3 { p.produceFrame() }
        let draw = { (n: Int) -> FrameProducer.PaletteChange in
            let seed = ParameterBinding.seed(paletteNumber: n, group: 1)
            return .init(group: 1, latents: Palette.draw(generator: FrameProducerTests.generator, size: p.paletteSize, seed: seed), seed: seed)
        }
        XCTAssertTrue(p.change(palette: draw(5)).isEmpty)
        XCTAssertEqual(p.change(palette: draw(6)).count, 1, "the replaced pending change comes back to the caller")
        p.produceFrame()
        XCTAssertEqual(p.paletteSeeds[1], ParameterBinding.seed(paletteNumber: 6, group: 1))
        XCTAssertEqual(p.change(palette: draw(7)).count, 1, "the latents the swap retired come back with the next change")
        p.produceFrame()
        XCTAssertEqual(p.takeRetiredPalettes().count, 1)
        XCTAssertEqual(p.paletteSeeds[1], ParameterBinding.seed(paletteNumber: 7, group: 1))
    }
}
