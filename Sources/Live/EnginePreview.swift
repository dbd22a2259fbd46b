import Foundation
import OSCQuery
import Outputs
import Synchronization

/// The web surface's live thumbnail: a small output on the producer like any other (its own ring,
/// thread and rate, so it never holds up the render), switched on while a client watches.
public final class EnginePreview: PreviewSource, @unchecked Sendable {
    public let sink: OutputSink
    private let frame: PreviewFrame
    private let watching = Atomic<Int>(0)
    /// The thumbnail's side and rate: enough to see what the stage shows, little to send over Wi-Fi.
    public static let side = 96, fps = 5.0

    init(renderSize: Int, engineFPS: Double) {
        frame = PreviewFrame(width: Self.side, height: Self.side)
        sink = OutputSink(preview: frame, sourceWidth: renderSize, sourceHeight: renderSize, fps: Self.fps, engineFPS: engineFPS)
    }

    public var width: Int { frame.width }
    public var height: Int { frame.height }
    public var watchers: Int { watching.load(ordering: .relaxed) }

    public func watchers(changedBy delta: Int) {
        let now = watching.wrappingAdd(delta, ordering: .relaxed).newValue
        sink.enabled = now > 0
    }

    public func withNewest<R>(after serial: Int, _ body: (Int, UnsafeRawBufferPointer) -> R) -> R? {
        frame.withNewest(after: serial, body)
    }
}
