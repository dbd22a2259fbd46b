import Features
import Foundation
import VideoFeatures
import TestSupport
import XCTest

/// The directogram on textures moving at a known velocity.
final class MotionFeatureTests: TimeLimitedTestCase {
    /// A texture moving by (dx, dy) pixels per frame on screen (dy > 0 is *up*).
    func moving(dx: Double, dy: Double, frames: Int = 8, width: Int = 128, height: Int = 128) -> FeatureSet {
        var video = SyntheticVideo(width: width, height: height)
        // Image rows grow downward: moving up by dy means showing, at row y, what was at y + dy.
        for k in 0..<frames { video.add(grey: { x, y in texture(x - dx * Double(k), y + dy * Double(k)) }) }
        return video.features()
    }

    func assertMotion(dx: Double, dy: Double, bin: Int, file: StaticString = #filePath, line: UInt = #line) {
        let set = moving(dx: dx, dy: dy)
        let directogram = set["directogram"]!
        XCTAssertEqual(directogram.row(0), [Float](repeating: 0, count: 16), "no flow before the second frame", file: file, line: line)
        let speed = Float((dx * dx + dy * dy).squareRoot())
        for k in 1..<set.frames {
            let row = directogram.row(k)
            let total = row.reduce(0, +)
            XCTAssertEqual(argmax(row), bin, "frame \(k): \(row)", file: file, line: line)
            // The bins sum to the mean flow magnitude: the speed, up to the edges where the texture enters.
            XCTAssertEqual(total, speed, accuracy: 0.1 * speed, "frame \(k)", file: file, line: line)
            let near = row[bin] + row[(bin + 1) % 16] + row[(bin + 15) % 16]
            XCTAssertGreaterThan(near / total, 0.95, "frame \(k): \(row)", file: file, line: line)
        }
    }

    func testRightwardMotionLandsInBinZero() { assertMotion(dx: 2, dy: 0, bin: 0) }
    func testUpwardMotionLandsInBinFour() { assertMotion(dx: 0, dy: 2, bin: 4) }
    func testLeftwardMotionLandsInBinEight() { assertMotion(dx: -2, dy: 0, bin: 8) }
    func testDownwardMotionLandsInBinTwelve() { assertMotion(dx: 0, dy: -2, bin: 12) }
    func testDiagonalMotionLandsInBinTwo() { assertMotion(dx: 1.5, dy: 1.5, bin: 2) }
    /// Beyond one level's reach: the pyramid has to carry it.
    func testFastMotionIsFollowedByThePyramid() { assertMotion(dx: 7, dy: 0, bin: 0) }

    func testStillVideoHasNoMotion() {
        let set = moving(dx: 0, dy: 0, frames: 4)
        XCTAssertLessThan(set["directogram"]!.values.max()!, 1e-3)
        XCTAssertLessThan(set["video_flow_onsets"]!.values.max()!, 1e-3)
    }

    /// The directogram is computed on flow, not colours: brightening, fading or recolouring a still
    /// texture moves nothing.
    func testBrightnessAndContrastChangesAreNotMotion() {
        var video = SyntheticVideo(width: 64, height: 64)
        for k in 0..<4 {   // brighter by 0.1 a frame
            video.add(grey: { x, y in 0.2 + 0.1 * Double(k) + 0.5 * (texture(x, y) - 0.5) })
        }
        for k in 0..<4 {   // fading out
            video.add(grey: { x, y in texture(x, y) * (1 - 0.2 * Double(k)) })
        }
        for k in 0..<4 {   // colour shift: red up, blue down
            var f = [UInt8](repeating: 0, count: 64 * 64 * 3)
            for y in 0..<64 {
                for x in 0..<64 {
                    let t = texture(Double(x), Double(y))
                    f[3 * (y * 64 + x)] = UInt8(min(255, 255 * t * (1 + 0.1 * Double(k))))
                    f[3 * (y * 64 + x) + 1] = UInt8(255 * t)
                    f[3 * (y * 64 + x) + 2] = UInt8(255 * t * (1 - 0.1 * Double(k)))
                }
            }
            video.frames.append(f)
        }
        let set = video.features()
        let directogram = set["directogram"]!
        for k in 1..<12 where k != 4 && k != 8 {   // the cuts between the three parts are not checked
            XCTAssertLessThan(directogram.row(k).reduce(0, +), 0.05, "frame \(k)")
        }
        XCTAssertGreaterThan(set["absolute_difference"]!.value(1), 0.09)
    }

    /// Flow onsets: the positive change of the directogram, so the start of a motion, not its continuation.
    func testFlowOnsetsMarkTheStartOfMotion() {
        var video = SyntheticVideo(width: 96, height: 96)
        var offset = 0.0
        for k in 0..<10 {
            if k >= 5 { offset += 2 }   // still for 5 frames, then moving right
            let o = offset
            video.add(grey: { x, y in texture(x - o, y) })
        }
        let onsets = video.features()["video_flow_onsets"]!.values
        XCTAssertEqual(argmax(onsets), 5, "\(onsets)")
        XCTAssertEqual(onsets[5], 2, accuracy: 0.3)
        for k in [1, 2, 3, 4, 7, 8, 9] { XCTAssertLessThan(onsets[k], 0.2, "frame \(k): \(onsets)") }
    }
}
