import Foundation
import ModelFiles
@testable import StyleGAN
import TestSupport
import XCTest

/// `--render-size`: the synthesis network stopped after block N paints the skip architecture's image at
/// N, the same picture the full model builds its larger images on.
final class RenderSizeTests: TimeLimitedTestCase {
    static let pickle = ParityTests.folder.appendingPathComponent("tiny32.pkl").path

    /// The official tiny model (32 px) stopped at 16 px, against the full model with its 32 px ToRGB
    /// silenced: the full image is then exactly the 16 px skip image up-sampled, so the early exit must
    /// equal it up-sampled the same way (through the official-parity full path).
    func testTheEarlyExitIsTheSkipImageOfTheFullModel() throws {
        let full = try StyleGANPickle.loadGenerator(path: Self.pickle)
        let stopped = try Generator(weights: full.rendered(at: 16))
        XCTAssertEqual(stopped.architecture.imgResolution, 16)
        XCTAssertEqual(stopped.modelResolution, 32)
        var silenced = full
        for name in ["synthesis.b32.torgb.weight", "synthesis.b32.torgb.bias"] {
            silenced.tensors[name]!.values = [Float](repeating: 0, count: silenced.tensors[name]!.values.count)
        }
        let reference = try Generator(weights: silenced)
        let z = try ParityTests.floats("tiny32_case0_z.f32")
        let ws = reference.map(z: z)
        XCTAssertEqual(stopped.numWs, 6, "2·log2(16) − 2 ws")
        let small = stopped.synthesize(ws: Array(ws.prefix(stopped.numWs * stopped.architecture.wDim)), noise: .const)
        XCTAssertEqual(small.count, 3 * 16 * 16)
        let big = reference.synthesize(ws: ws, noise: .const)
        var upsampled = [Float](repeating: 0, count: 3 * 32 * 32), temp = [Float](repeating: 0, count: 3 * 33 * 32)
        small.withUnsafeBufferPointer { s in temp.withUnsafeMutableBufferPointer { t in upsampled.withUnsafeMutableBufferPointer { o in
            Resampling.upsample(s.baseAddress!, channels: 3, h: 16, temp: t.baseAddress!, out: o.baseAddress!)
        } } }
        let worst = zip(upsampled, big).map { abs($0 - $1) }.max()!
        XCTAssertLessThanOrEqual(worst, 1e-4, "early exit against the silenced full model")
        // And it is a picture, not zeros: the 16 px block's colours.
        XCTAssertGreaterThan(small.map(abs).reduce(0, +) / Float(small.count), 0.01)
    }

    func testRenderSizesAreThePowersOfTwoFrom16AndOthersAreRefused() throws {
        XCTAssertEqual(DefaultModel.architecture.renderSizes, [128, 64, 32, 16])
        XCTAssertEqual(GeneratorArchitecture(imgResolution: 8, channelBase: 64, channelMax: 8).renderSizes, [8], "a tiny model only at its size")
        let weights = try StyleGANPickle.loadGenerator(path: Self.pickle)
        for bad in [8, 24, 64] {
            XCTAssertThrowsError(try weights.rendered(at: bad)) { error in
                XCTAssertTrue("\(error)".contains("16, 32"), "the error lists the sizes: \(error)")
            }
        }
        let same = try weights.rendered(at: 32)
        XCTAssertEqual(same.label, weights.label, "the model's own size is the model")
        let small = try weights.rendered(at: 16)
        XCTAssertFalse(small.tensors.keys.contains { $0.hasPrefix("synthesis.b32.") }, "only the blocks that run are kept")
        XCTAssertTrue(small.label.contains("16 px of 32"))
        let g = try Generator(weights: small)
        XCTAssertEqual(g.noiseLayers.map(\.resolution), [4, 8, 8, 16, 16], "noise layers of the blocks that run")
    }
}
