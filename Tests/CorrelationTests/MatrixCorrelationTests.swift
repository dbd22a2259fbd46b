import Basics
import Correlation
import Foundation
import TestSupport
import XCTest

final class MatrixCorrelationTests: TimeLimitedTestCase {
    func random(_ rows: Int, _ cols: Int, seed: UInt64) -> FeatureMatrix {
        var rng = SeededRandom(seed: seed)
        return FeatureMatrix(rows: rows, cols: cols, values: (0..<(rows * cols)).map { _ in rng.normal() })
    }

    /// Against NumPy on fixed matrices (Fixtures/make_reference.py).
    func testMatchesNumPyReference() throws {
        let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("reference.json")
        let doc = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        for c in doc["cases"] as! [[String: Any]] {
            let rows = c["rows"] as! Int
            func blocks(_ key: String) -> [(name: String, columns: Range<Int>)] {
                (c[key] as! [[Int]]).enumerated().map { ("b\($0.offset)", $0.element[0]..<$0.element[1]) }
            }
            let a = FeatureMatrix(rows: rows, cols: c["audio_cols"] as! Int, values: c["audio"] as! [Double], blocks: blocks("audio_blocks"))
            let v = FeatureMatrix(rows: rows, cols: c["video_cols"] as! Int, values: c["video"] as! [Double], blocks: blocks("video_blocks"))
            let expected = c["expected"] as! [String: Double]
            for metric in MatrixCorrelation.allCases {
                XCTAssertEqual(try metric.compute(a, v), expected[metric.rawValue]!, accuracy: 1e-9, "\(c["name"]!) \(metric.rawValue)")
            }
        }
    }

    func testIdenticalInputsGiveOne() throws {
        let a = random(50, 6, seed: 1)
        for metric in MatrixCorrelation.allCases where metric != .adjustedRV {
            XCTAssertEqual(try metric.compute(a, a), 1, accuracy: 1e-9, metric.rawValue)
        }
        XCTAssertGreaterThan(try MatrixCorrelation.adjustedRV.compute(a, a), 0.9)
    }

    /// Procrustes is invariant to an orthogonal rotation and a rescaling of either side.
    func testProcrustesInvariance() throws {
        let a = random(80, 5, seed: 2)
        // A random orthogonal 5 × 5 matrix from the SVD basis of random data.
        let q = try MatrixCorrelationSupport.orthogonal(5, seed: 3)
        var rotated = [Double](repeating: 0, count: 80 * 5)
        for t in 0..<80 { for j in 0..<5 { for i in 0..<5 { rotated[t * 5 + j] += a.values[t * 5 + i] * q[i * 5 + j] * 7.5 } } }
        let v = FeatureMatrix(rows: 80, cols: 5, values: rotated)
        XCTAssertEqual(try MatrixCorrelation.procrustes.compute(a, v), 1, accuracy: 1e-9)
        // Adding a constant to columns changes nothing either (centring).
        let shifted = FeatureMatrix(rows: 80, cols: 5, values: rotated.enumerated().map { $0.element + Double($0.offset % 5) * 100 })
        XCTAssertEqual(try MatrixCorrelation.procrustes.compute(a, shifted), 1, accuracy: 1e-9)
    }

    /// Independent noise: correlation falls as T grows.
    func testNoiseFallsWithLength() throws {
        for metric in [MatrixCorrelation.procrustes, .balancedProcrustes, .rv, .smi] {
            var previous = Double.infinity
            for t in [20, 80, 320, 1280] {
                var mean = 0.0
                for s in 0..<5 { mean += try metric.compute(random(t, 4, seed: UInt64(10 + s)), random(t, 6, seed: UInt64(100 + s))) / 5 }
                XCTAssertLessThan(mean, previous, "\(metric.rawValue) at T = \(t)")
                previous = mean
            }
            XCTAssertLessThan(previous, 0.2, metric.rawValue)
        }
    }

    func testDegenerateInputs() throws {
        let a = random(30, 3, seed: 4)
        let constant = FeatureMatrix(rows: 30, cols: 2, values: [Double](repeating: 5, count: 60))
        let single = FeatureMatrix(rows: 1, cols: 3, values: [1, 2, 3])
        for metric in MatrixCorrelation.allCases {
            XCTAssertEqual(try metric.compute(a, constant), 0, "\(metric.rawValue): constant video")
            XCTAssertEqual(try metric.compute(single, single), 0, "\(metric.rawValue): T = 1")
            var bad = a
            bad.values[7] = .nan
            XCTAssertThrowsError(try metric.compute(bad, a)) { XCTAssertTrue("\($0)".contains("NaN"), "\($0)") }
            XCTAssertThrowsError(try metric.compute(a, random(29, 3, seed: 1))) { XCTAssertTrue("\($0)".contains("frames"), "\($0)") }
        }
        // Constant columns among varying ones are simply ignored.
        var withConstant = [Double]()
        for t in 0..<30 { withConstant += [a.values[t * 3], 3.0, a.values[t * 3 + 1], a.values[t * 3 + 2]] }
        let padded = FeatureMatrix(rows: 30, cols: 4, values: withConstant)
        XCTAssertEqual(try MatrixCorrelation.procrustes.compute(a, padded), 1, accuracy: 1e-9)
        // PWCCA needs T ≥ dims and says so.
        XCTAssertThrowsError(try MatrixCorrelation.pwcca.compute(random(5, 8, seed: 1), random(5, 2, seed: 2))) {
            XCTAssertTrue("\($0)".contains("PWCCA needs at least as many frames"), "\($0)")
        }
    }

    /// The balanced variant is not dominated by one large-valued block.
    func testBalancedResistsScale() throws {
        var rng = SeededRandom(seed: 8)
        let t = 200
        var audio = [Double](), video = [Double]()
        for _ in 0..<t {
            let shared = rng.normal()
            audio += [shared + 0.1 * rng.normal(), 1000 * rng.normal(), 1000 * rng.normal()]   // a small driving feature, a huge unrelated block
            video += [shared + 0.1 * rng.normal()]
        }
        let a = FeatureMatrix(rows: t, cols: 3, values: audio, blocks: [("driver", 0..<1), ("loud", 1..<3)])
        let v = FeatureMatrix(rows: t, cols: 1, values: video)
        let thesis = try MatrixCorrelation.procrustes.compute(a, v), balanced = try MatrixCorrelation.balancedProcrustes.compute(a, v)
        XCTAssertLessThan(thesis, 0.05, "the loud block drowns the driver")
        XCTAssertGreaterThan(balanced, 0.6, "per-block normalisation lets the driver count")
    }
}

enum MatrixCorrelationSupport {
    static func orthogonal(_ n: Int, seed: UInt64) throws -> [Double] {
        var rng = SeededRandom(seed: seed)
        let m = (0..<(n * n)).map { _ in rng.normal() }
        let svd = try LinearAlgebra.SVD.thin(m, rows: n, cols: n)
        return svd.u
    }
}

import LinearAlgebra
