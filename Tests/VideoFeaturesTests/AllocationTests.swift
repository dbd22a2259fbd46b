import AllocationCounter
import Foundation
import VideoFeatures
import TestSupport
import XCTest

/// `append` runs in the live engine's correlation thread: after warm-up it must not allocate.
final class VideoAllocationTests: TimeLimitedTestCase {
    func testAppendAllocatesNothingAfterWarmUp() {
        for (w, h) in [(128, 128), (228, 128), (100, 74)] {
            let extractor = VideoFeatureExtractor(width: w, height: h, fps: 30, keepsHistory: false)
            // A moving texture, so flow, spectrum and histograms all do real work.
            let frames: [[UInt8]] = (0..<8).map { k in
                var f = [UInt8](repeating: 0, count: w * h * 3)
                for y in 0..<h { for x in 0..<w {
                    let v = UInt8(127.5 + 120 * sin(Double(x + 2 * k) * 0.3) * cos(Double(y) * 0.21))
                    f[3 * (y * w + x)] = v; f[3 * (y * w + x) + 1] = 255 - v; f[3 * (y * w + x) + 2] = UInt8((Int(v) + k * 20) % 256)
                } }
                return f
            }
            frames[0].withUnsafeBufferPointer { extractor.append(rgb24: $0) }
            frames[1].withUnsafeBufferPointer { extractor.append(rgb24: $0) }
            lvj_count_allocations_begin()
            for f in frames.dropFirst(2) { f.withUnsafeBufferPointer { extractor.append(rgb24: $0) } }
            let count = lvj_count_allocations_end()
            XCTAssertEqual(count, 0, "\(w)×\(h): append allocated \(count) times")
        }
    }
}
