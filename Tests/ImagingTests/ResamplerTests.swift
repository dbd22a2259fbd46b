import AllocationCounter
import Imaging
import TestSupport
import XCTest

/// The outputs' scaler against values worked out by hand from the triangle filter's definition.
final class ResamplerTests: TimeLimitedTestCase {
    /// Red = 10 × column, green = 10 × row, blue = 0.
    func ramp(_ w: Int, _ h: Int) -> [UInt8] {
        var p = [UInt8](repeating: 0, count: w * h * 3)
        for y in 0..<h { for x in 0..<w { p[(y * w + x) * 3] = UInt8(10 * x); p[(y * w + x) * 3 + 1] = UInt8(10 * y) } }
        return p
    }

    func scaled(_ source: [UInt8], _ sw: Int, _ sh: Int, to w: Int, _ h: Int, channels: Int = 3) -> [UInt8] {
        let r = Resampler(sourceWidth: sw, sourceHeight: sh, width: w, height: h, outputChannels: channels)
        var out = [UInt8](repeating: 0, count: r.outputBytes)
        source.withUnsafeBufferPointer { s in out.withUnsafeMutableBufferPointer { r.scale(s.baseAddress!, into: $0.baseAddress!) } }
        return out
    }

    func testAFlatPictureStaysFlatAtAnySize() {
        let flat = [UInt8](repeating: 0, count: 16 * 16 * 3).enumerated().map { UInt8([200, 100, 50][$0.offset % 3]) }
        for (w, h) in [(8, 8), (64, 36), (7, 30), (16, 16)] {
            let out = scaled(flat, 16, 16, to: w, h)
            XCTAssertTrue(stride(from: 0, to: out.count, by: 3).allSatisfy { out[$0] == 200 && out[$0 + 1] == 100 && out[$0 + 2] == 50 }, "\(w)x\(h)")
        }
    }

    /// Halving: a triangle of half-width 2 source pixels around each output centre gives the weights
    /// 1/8, 3/8, 3/8, 1/8 inside the picture; at the edge the pixels outside are left out and the rest
    /// renormalised (0.75, 0.75, 0.25 → 0·0.75 + 10·0.75 + 20·0.25 over 1.75 = 7.14).
    func testHalvingWeighsFourPixelsLikeTheTriangle() {
        let out = scaled(ramp(8, 8), 8, 8, to: 4, 4)
        let red = (0..<4).map { out[$0 * 3] }
        XCTAssertEqual(red, [7, 25, 45, 63])
        XCTAssertEqual((0..<4).map { out[$0 * 4 * 3 + 1] }, [7, 25, 45, 63], "rows as columns")
    }

    /// Doubling is bilinear between pixel centres: output centre 1.25 lies a quarter of the way from
    /// source centre 0.5 to 1.5.
    func testDoublingInterpolatesBetweenCentres() {
        let out = scaled(ramp(4, 4), 4, 4, to: 8, 8)
        XCTAssertEqual((0..<8).map { out[$0 * 3] }, [0, 3, 8, 13, 18, 23, 28, 30])
    }

    /// A square picture on a wide output covers it: scaled by the width, top and bottom cropped evenly.
    func testAWideOutputCropsTopAndBottom() {
        let out = scaled(ramp(4, 4), 4, 4, to: 8, 4, channels: 4)
        // Scale 2 (width 4 → 8): the 4 output rows cover source rows 1 to 3 (centres 1.25, 1.75, 2.25, 2.75).
        XCTAssertEqual((0..<4).map { out[$0 * 8 * 4 + 1] }, [8, 13, 18, 23])
        XCTAssertTrue(stride(from: 3, to: out.count, by: 4).allSatisfy { out[$0] == 255 }, "RGBx: the fourth byte is opaque")
    }

    func testScalingAllocatesNothing() throws {
        try XCTSkipUnless(lvj_counting_available() != 0, "allocation counting is off in this build")
        let r = Resampler(sourceWidth: 128, sourceHeight: 128, width: 1280, height: 720, outputChannels: 4)
        let source = [UInt8](repeating: 90, count: 128 * 128 * 3)
        var out = [UInt8](repeating: 0, count: r.outputBytes)
        source.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { o in
                r.scale(s.baseAddress!, into: o.baseAddress!)
                lvj_count_allocations_begin()
                for _ in 0..<3 { r.scale(s.baseAddress!, into: o.baseAddress!) }
                XCTAssertEqual(lvj_count_allocations_end(), 0)
            }
        }
        XCTAssertEqual(out[4 * 640 + 1], 90)
    }
}
