import Basics
import Foundation
import Live
import ModelFiles
import StyleGAN
import TestSupport
import XCTest

/// `--adapt` and `--render-size` in the engine: what is given up when a frame does not fit its slot,
/// in that order (the finest noise first, then the render size), and what the engine then runs.
final class RenderAdaptationTests: TimeLimitedTestCase {
    /// A 32 px model's sizes with made-up costs: the decision alone.
    func choose(budget: Double, costs: [Int: Double], still: Double) -> RenderAdaptation {
        RenderAdaptation.choose(sizes: [64, 32, 16], budgetMs: budget, noiseLayers: { [64: 11, 32: 9, 16: 7][$0]! }, finestLayers: 2) { size, stillFinest in
            stillFinest ? still : costs[size]!
        }
    }

    func testAFrameThatFitsGivesUpNothing() {
        let a = choose(budget: 20, costs: [64: 15, 32: 8, 16: 4], still: 14)
        XCTAssertTrue(a.isFull)
        XCTAssertEqual(a.size, 64)
        XCTAssertEqual(a.measuredMs.keys.sorted(), [64], "nothing else is measured")
        XCTAssertTrue(a.text.contains("full size"), a.text)
    }

    func testTheFinestNoiseIsStilledFirst() {
        let a = choose(budget: 20, costs: [64: 22, 32: 8, 16: 4], still: 19)
        XCTAssertEqual(a.size, 64)
        XCTAssertEqual(a.drivenNoiseLayers, 9, "the two 64 px noise layers stand still")
        XCTAssertEqual(a.chosenMs, 19)
        XCTAssertTrue(a.text.contains("9 of 11 noise layers driven"), a.text)
    }

    func testThenTheLargestSizeThatFits() {
        let a = choose(budget: 20, costs: [64: 40, 32: 18, 16: 4], still: 35)
        XCTAssertEqual(a.size, 32)
        XCTAssertEqual(a.drivenNoiseLayers, 9)
        XCTAssertEqual(a.noiseLayers, 9)
        XCTAssertFalse(a.overBudget)
        XCTAssertNil(a.measuredMs[16], "smaller sizes are not tried once one fits")
        XCTAssertTrue(a.text.contains("rendering at 32 px instead of 64"), a.text)
        XCTAssertTrue(a.text.contains("renders at 25 fps here"), "the model's own rate at full size: \(a.text)")
    }

    func testNothingFitsTheSmallestIsUsedAndSaidSo() {
        let a = choose(budget: 1, costs: [64: 40, 32: 18, 16: 4], still: 35)
        XCTAssertEqual(a.size, 16)
        XCTAssertTrue(a.overBudget)
        XCTAssertTrue(a.text.contains("cannot hold the frame rate"), a.text)
    }

    // MARK: The engine

    static let modelPath: String = {
        let a = GeneratorArchitecture(zDim: 16, wDim: 16, imgResolution: 32, channelBase: 64, channelMax: 16, mappingLayers: 2)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("adapt-\(getpid()).safetensors").path
        try! SafeTensorsFile.write(DefaultModel.make(seed: 5, architecture: a), to: path, dtype: .float32)
        return path
    }()

    func engine(_ change: (inout EngineConfiguration) -> Void) throws -> Engine {
        var c = EngineConfiguration()
        c.audio = .file(path: nil, loops: false, throughJACK: false, connect: nil)
        c.modelPath = Self.modelPath
        c.window = nil
        c.osc = nil
        change(&c)
        return try Engine(c)
    }

    func testABudgetNoFrameFitsRendersAtTheSmallestSize() throws {
        let e = try engine { $0.adapt = true; $0.frameBudgetMs = 1e-6 }
        let a = try XCTUnwrap(e.adaptation)
        XCTAssertEqual(a.size, 16)
        XCTAssertEqual(a.modelResolution, 32)
        XCTAssertTrue(a.overBudget)
        XCTAssertEqual(Set(a.measuredMs.keys), [32, 16], "every size was measured on this machine")
        XCTAssertEqual(e.generator.architecture.imgResolution, 16, "the engine runs what was chosen")
        XCTAssertEqual(e.generator.modelResolution, 32)
        let names = e.producer.parameters.registry.parameters.map(\.name)
        XCTAssertTrue(names.contains("noise.s16.sigma"))
        XCTAssertFalse(names.contains("noise.s32.sigma"), "knobs of layers that do not run are hidden")
        let events = e.tick(now: 0)
        XCTAssertTrue(events.contains { if case .adapted(let told) = $0 { return told == a } else { return false } }, "the choice is an event")
        let json = try XCTUnwrap(events.lazy.compactMap { e -> [String: Any]? in if case .adapted = e { return e.json.fields } else { return nil } }.first)
        XCTAssertEqual(json["size"] as? Int, 16)
        XCTAssertEqual(json["over_budget"] as? Bool, true)
    }

    func testAGenerousBudgetKeepsTheModelWhole() throws {
        let e = try engine { $0.adapt = true; $0.frameBudgetMs = 1e9 }
        let a = try XCTUnwrap(e.adaptation)
        XCTAssertTrue(a.isFull)
        XCTAssertEqual(e.generator.architecture.imgResolution, 32)
        XCTAssertTrue(e.producer.parameters.registry.parameters.contains { $0.name == "noise.s32.sigma" })
    }

    func testARenderSizeIsTakenAsGivenAndDrivesOnlyTheLayersThatRun() throws {
        let e = try engine { $0.renderSize = 16; $0.adapt = true }
        XCTAssertNil(e.adaptation, "an explicit size is not second-guessed")
        XCTAssertEqual(e.generator.architecture.imgResolution, 16)
        XCTAssertEqual(e.generator.noiseLayers.map(\.resolution).max(), 16)
        e.start()
        try waitFor("frames at 16 px", timeout: 60) { e.producer.snapshot.frames >= 3 }
        _ = e.stop(now: 1)
        XCTAssertThrowsError(try engine { $0.renderSize = 64 }) { error in
            XCTAssertTrue("\(error)".contains("render size 64"), "\(error)")
        }
    }
}
