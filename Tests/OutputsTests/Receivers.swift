import Foundation
import Outputs
import TestSupport
import XCTest

/// A receiver writing to a scratch file of its own, removed with it.
final class Receiver {
    let receiver: GStreamerReceiver
    /// The receiver on this machine for the output `uri` (`LocalReceiver`), for frames of `side`×`side`.
    init(for uri: String, side: Int, name: String) throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("lvj-\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).raw").path
        receiver = try GStreamerReceiver(for: uri, width: side, height: side, file: file)
    }
    deinit { receiver.kill(); try? FileManager.default.removeItem(atPath: receiver.file) }
    var child: ChildProcess { receiver.child }
    var frames: [[UInt8]] { receiver.frames }
    var frameCount: Int { receiver.count }
    func kill() { receiver.kill() }
}

/// `body`, skipping the test where a GStreamer plugin it needs is not installed (the error names it).
func skippingMissingPlugins<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let e as OutputError where e.reason.contains("is missing: install") {
        throw XCTSkip("\(e) (scripts/setup.sh installs it)")
    }
}

/// Frame k of a test stream: one flat colour, different from its neighbours by a lot in every channel.
func testColour(_ k: Int) -> (UInt8, UInt8, UInt8) {
    (UInt8(28 + (k * 37) % 200), UInt8(28 + (k * 91) % 200), UInt8(28 + (k * 53) % 200))
}

func flatFrame(_ k: Int, width: Int, height: Int) -> [UInt8] {
    let c = testColour(k)
    var f = [UInt8](repeating: 0, count: width * height * 3)
    for i in 0..<(width * height) { f[3 * i] = c.0; f[3 * i + 1] = c.1; f[3 * i + 2] = c.2 }
    return f
}

/// For each received frame, the test frame it shows (nil: none within `tolerance` in every channel).
func identify(_ frames: [[UInt8]], channels: Int, sent: Int, tolerance: Double) -> [Int?] {
    frames.map { f in
        let m = f.withUnsafeBytes { GStreamerReceiver.mean(of: $0, channels: channels) }
        func distance(_ k: Int) -> Double {
            let c = testColour(k)
            return max(abs(m.0 - Double(c.0)), abs(m.1 - Double(c.1)), abs(m.2 - Double(c.2)))
        }
        guard let best = (0..<sent).min(by: { distance($0) < distance($1) }), distance(best) <= tolerance else { return nil }
        return best
    }
}
