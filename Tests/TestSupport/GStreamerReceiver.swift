import Foundation
import XCTest

/// A real receiver for the outputs' tests: gst-launch-1.0 running `pipeline` (up to decoded frames) and
/// writing every frame it gets, raw and unbuffered, to a file the test reads.
public final class GStreamerReceiver {
    public let file: String, frameBytes: Int, child: ChildProcess
    public typealias Colour = (Double, Double, Double)

    public init(_ pipeline: String, frameBytes: Int, file: String) throws {
        guard let gst = JACKTestServer.which("gst-launch-1.0") else { throw XCTSkip("gst-launch-1.0 is not installed (scripts/setup.sh installs it)") }
        self.file = file; self.frameBytes = frameBytes
        child = try ChildProcess(gst, ["-q"] + pipeline.split(separator: " ").map(String.init)
                                 + ["!", "filesink", "location=\(file)", "sync=false", "buffer-mode=unbuffered"],
                                 name: "receiver \((file as NSString).lastPathComponent)")
    }

    deinit {
        if child.isRunning { _ = try? child.stop(signal: SIGKILL, timeout: 10) }
    }

    /// Frames received so far.
    public var count: Int { ((try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0) / frameBytes }

    public var frames: [[UInt8]] {
        guard let data = FileManager.default.contents(atPath: file) else { return [] }
        return stride(from: 0, to: data.count - frameBytes + 1, by: frameBytes).map { [UInt8](data[$0..<($0 + frameBytes)]) }
    }

    public func means(channels: Int) -> [Colour] { Self.means(file: file, frameBytes: frameBytes, channels: channels) }

    public func kill() { _ = try? child.stop(signal: SIGKILL, timeout: 10) }

    /// Mean colour of each frame of a raw file with `channels` bytes a pixel.
    public static func means(file: String, frameBytes: Int, channels: Int) -> [Colour] {
        guard let data = FileManager.default.contents(atPath: file) else { return [] }
        return stride(from: 0, to: data.count - frameBytes + 1, by: frameBytes).map { start in
            data[start..<(start + frameBytes)].withUnsafeBytes { p -> Colour in
                var r = 0.0, g = 0.0, b = 0.0
                let n = frameBytes / channels
                for i in 0..<n { r += Double(p[i * channels]); g += Double(p[i * channels + 1]); b += Double(p[i * channels + 2]) }
                return (r / Double(n), g / Double(n), b / Double(n))
            }
        }
    }
}
