import Foundation
import Synchronization

/// The web surface's live thumbnail: the newest frame of a small output inside the engine, RGBx. The
/// output's thread copies each scaled frame in (no allocation); the web server's loop copies the newest
/// out for each client that watches, when it is newer than what that client has.
public final class PreviewFrame: OutputTransport, @unchecked Sendable {
    public let width: Int, height: Int
    private let pixels: UnsafeMutablePointer<UInt8>
    private let lock = Mutex<Int>(0)         // the serial of the frame in `pixels`

    public init(width: Int, height: Int) {
        self.width = width; self.height = height
        pixels = .allocate(capacity: width * height * 4)
    }

    deinit { pixels.deallocate() }

    public var byteCount: Int { width * height * 4 }

    /// The output's thread: the newest frame.
    func send(_ frame: UnsafePointer<UInt8>) -> OutputPush {
        lock.withLock { serial in
            pixels.update(from: frame, count: byteCount)
            serial += 1
        }
        return .sent
    }

    func takeProblem() -> String? { nil }

    /// The newest frame's serial and pixels, handed to `body` while they cannot change; nil when there
    /// is none newer than `serial`.
    public func withNewest<R>(after serial: Int, _ body: (Int, UnsafeRawBufferPointer) -> R) -> R? {
        lock.withLock { now in
            now > serial ? body(now, UnsafeRawBufferPointer(start: pixels, count: byteCount)) : nil
        }
    }
}
