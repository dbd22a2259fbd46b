import Foundation
import FuzzTargets
import TestSupport
import XCTest

/// Every crash the fuzzers found (Fuzz/regressions/TARGET/*) and every made seed, through the same entry
/// points libFuzzer drives: each must return, never trap.
final class FuzzRegressionTests: TimeLimitedTestCase {
    var root: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }

    func testEveryRecordedCrashStaysFixed() throws {
        let folder = root.appendingPathComponent("Fuzz/regressions")
        var replayed = 0
        for target in FuzzTargets.all {
            let dir = folder.appendingPathComponent(target)
            for file in (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [] {
                let data = try Data(contentsOf: dir.appendingPathComponent(file))
                data.withUnsafeBytes { FuzzTargets.run(target, $0) }
                replayed += 1
            }
        }
        XCTAssertGreaterThanOrEqual(replayed, 1, "the OSC port crash at least")
    }

    func testMadeSeedsAndShippedFilesPassEveryTarget() throws {
        for target in ["osc", "oscdatagram", "midi", "patch", "safetensors"] {
            let seeds = try FuzzTargets.madeSeeds(target)
            XCTAssertFalse(seeds.isEmpty, target)
            for seed in seeds { seed.withUnsafeBytes { FuzzTargets.run(target, $0) } }
        }
        for (target, folder, suffix) in [("mapping", "Mappings", ".yaml"), ("preset", "Presets", ".preset.yaml")] {
            for file in try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(folder).path) where file.hasSuffix(suffix) {
                try Data(contentsOf: root.appendingPathComponent("\(folder)/\(file)")).withUnsafeBytes { FuzzTargets.run(target, $0) }
            }
        }
    }

    /// The OSC crash itself, spelled out: a subscribe with a port far beyond Int's range is refused.
    func testHugeSubscribePortIsRefusedNotATrap() {
        var input: [UInt8] = [0] + Array("/lvj/subscribe".utf8) + [0] + Array("d".utf8) + [0]
        input += withUnsafeBytes(of: (1e300).bitPattern.bigEndian) { Array($0) }
        input.withUnsafeBytes { FuzzTargets.run("osc", $0) }
    }
}
