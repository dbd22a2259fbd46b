import Foundation
import Outputs
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

    /// The receiver on this machine for the output `uri` (`LocalReceiver`), for frames of `width`×`height`.
    public convenience init(for uri: String, width: Int, height: Int, file: String) throws {
        let receiver = try LocalReceiver.for(try OutputTarget(parsing: uri)).get()
        try self.init(receiver.pipeline, frameBytes: width * height * receiver.channels, file: file)
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
            data[start..<(start + frameBytes)].withUnsafeBytes { mean(of: $0, channels: channels) }
        }
    }

    /// Mean colour of one frame with `channels` bytes a pixel (the first three are R, G, B).
    public static func mean(of frame: UnsafeRawBufferPointer, channels: Int) -> Colour {
        var r = 0.0, g = 0.0, b = 0.0
        let n = frame.count / channels
        for i in 0..<n { r += Double(frame[i * channels]); g += Double(frame[i * channels + 1]); b += Double(frame[i * channels + 2]) }
        return (r / Double(n), g / Double(n), b / Double(n))
    }
}
