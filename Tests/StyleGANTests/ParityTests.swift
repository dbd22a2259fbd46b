import AllocationCounter
import Basics
import Foundation
import ModelFiles
import StyleGAN
import TestSupport
import XCTest

/// The generator against outputs of the official stylegan2-ada-pytorch code on the same pickle
/// (Fixtures/stylegan2, made by NVIDIA's implementation; see its manifest).
final class ParityTests: TimeLimitedTestCase {
    static let folder = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("stylegan2")

    static func floats(_ file: String) throws -> [Float] {
        let data = try Data(contentsOf: folder.appendingPathComponent(file))
        return data.withUnsafeBytes { raw in (0..<(data.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) } }
    }

    static let manifest = try! JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("tiny32_manifest.json"))) as! [String: Any]
    static let generator = try! Generator(weights: StyleGANPickle.loadGenerator(path: folder.appendingPathComponent("tiny32.pkl").path))

    func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
        XCTAssertEqual(a.count, b.count)
        return zip(a, b).map { abs($0 - $1) }.max() ?? .infinity
    }

    func testEveryCaseMatchesTheOfficialGenerator() throws {
        let cases = Self.manifest["cases"] as! [[String: Any]]
        XCTAssertEqual(cases.count, 5)
        for (index, c) in cases.enumerated() {
            let expectedWs = try Self.floats((c["ws"] as! [String: Any])["file"] as! String)
            let expectedImage = try Self.floats((c["img"] as! [String: Any])["file"] as! String)
            let ws: [Float]
            if c["kind"] as! String == "z" {
                let z = try Self.floats((c["z"] as! [String: Any])["file"] as! String)
                let psi = Float(c["truncation_psi"] as! Double)
                let cutoff = c["truncation_cutoff"] as? Int
                ws = Self.generator.map(z: z, psi: psi, cutoff: cutoff)
                XCTAssertLessThanOrEqual(maxDifference(ws, expectedWs), 1e-4, "case \(index): ws")
            } else {
                ws = expectedWs   // style mixing: per-layer ws given
            }
            let noise = NoiseMode(rawValue: c["noise_mode"] as! String)!
            let image = Self.generator.synthesize(ws: ws, noise: noise)
            let difference = maxDifference(image, expectedImage)
            XCTAssertLessThanOrEqual(difference, 1e-3, "case \(index) (\(c["kind"]!), noise \(noise)): image max abs difference \(difference)")
        }
    }

    /// The noise mode matters: const and none differ (so the const noise path is really exercised).
    func testNoiseModesDiffer() throws {
        let z = try Self.floats("tiny32_case0_z.f32")
        let ws = Self.generator.map(z: z)
        XCTAssertGreaterThan(maxDifference(Self.generator.synthesize(ws: ws, noise: .const), Self.generator.synthesize(ws: ws, noise: .none)), 1e-3)
    }

    /// Custom noise maps: zero maps give the no-noise image; the const maps copied in give the const image.
    func testCustomNoiseMaps() throws {
        let g = Self.generator
        let ws = g.map(z: try Self.floats("tiny32_case1_z.f32"))
        for (layer, info) in g.noiseLayers.enumerated() { g.noiseMap(layer: layer).update(repeating: 0, count: info.resolution * info.resolution) }
        XCTAssertLessThanOrEqual(maxDifference(g.synthesize(ws: ws, noise: .custom), g.synthesize(ws: ws, noise: .none)), 1e-6)
        let weights = try StyleGANPickle.loadGenerator(path: Self.folder.appendingPathComponent("tiny32.pkl").path)
        for (layer, info) in g.noiseLayers.enumerated() {
            let stored = weights.tensors["\(info.name).noise_const"]!.values
            g.noiseMap(layer: layer).update(from: stored, count: stored.count)
        }
        XCTAssertLessThanOrEqual(maxDifference(g.synthesize(ws: ws, noise: .custom), g.synthesize(ws: ws, noise: .const)), 1e-6)
    }

    /// After one warm-up frame, mapping and synthesis allocate nothing.
    func testNoAllocationPerFrame() throws {
        let g = Self.generator
        let z = try Self.floats("tiny32_case2_z.f32")
        var ws = [Float](repeating: 0, count: g.numWs * g.architecture.wDim)
        var image = [Float](repeating: 0, count: g.imageCount)
        z.withUnsafeBufferPointer { zp in
            ws.withUnsafeMutableBufferPointer { wp in
                image.withUnsafeMutableBufferPointer { ip in
                    g.map(z: zp.baseAddress!, psi: 0.7, into: wp.baseAddress!)
                    g.synthesize(ws: wp.baseAddress!, noise: .const, into: ip.baseAddress!)
                    lvj_count_allocations_begin()
                    for _ in 0..<20 {
                        g.map(z: zp.baseAddress!, psi: 0.7, into: wp.baseAddress!)
                        g.synthesize(ws: wp.baseAddress!, noise: .const, into: ip.baseAddress!)
                        g.synthesize(ws: wp.baseAddress!, noise: .custom, into: ip.baseAddress!)
                    }
                    XCTAssertEqual(lvj_count_allocations_end(), 0)
                }
            }
        }
        XCTAssertTrue(image.allSatisfy(\.isFinite))
    }
}
