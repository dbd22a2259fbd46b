import Synchronization

/// Three preallocated RGB frame buffers shared by the frame producer and the display (the classic
/// triple buffer): the producer always has a buffer to draw into, the display always takes the newest
/// finished one, and neither waits for the other. One atomic word holds which buffer is "ready" and
/// whether it is new.
public final class LatestFrame: @unchecked Sendable {
    public let width: Int, height: Int
    /// Values travelling with each frame (the causal feature row it was drawn from), so the display side
    /// pairs what it shows with what was heard.
    public let rowWidth: Int
    private let buffers: [UnsafeMutablePointer<UInt8>]
    private let rows: [UnsafeMutablePointer<Float>]
    private var back = 0          // producer's
    private var front = 1         // display's
    /// Index of the ready buffer; bit 2 set when it holds a frame the display has not taken yet.
    private let ready = Atomic<Int>(2)

    public init(width: Int, height: Int, rowWidth: Int = 0) {
        self.width = width; self.height = height; self.rowWidth = rowWidth
        rows = (0..<3).map { _ in
            let r = UnsafeMutablePointer<Float>.allocate(capacity: max(1, rowWidth))
            r.initialize(repeating: 0, count: max(1, rowWidth))
            return r
        }
        buffers = (0..<3).map { _ in
            let b = UnsafeMutablePointer<UInt8>.allocate(capacity: width * height * 3)
            b.initialize(repeating: 0, count: width * height * 3)
            return b
        }
    }

    deinit { buffers.forEach { $0.deallocate() }; rows.forEach { $0.deallocate() } }

    /// The producer's buffer to draw the next frame into.
    public var drawing: UnsafeMutablePointer<UInt8> { buffers[back] }
    /// The row that travels with the frame being drawn.
    public var drawingRow: UnsafeMutablePointer<Float> { rows[back] }

    /// The producer finished `drawing`: it becomes the ready frame.
    public func publish() {
        let previous = ready.exchange(back | 4, ordering: .acquiringAndReleasing)
        back = previous & 3
    }

    /// The newest finished frame, if one arrived since the last call (display side).
    public func takeNewest() -> UnsafePointer<UInt8>? {
        guard ready.load(ordering: .acquiring) & 4 != 0 else { return nil }
        let previous = ready.exchange(front, ordering: .acquiringAndReleasing)
        front = previous & 3
        return UnsafePointer(buffers[front])
    }

    /// The frame the display showed last.
    public var shown: UnsafePointer<UInt8> { UnsafePointer(buffers[front]) }
    /// The row of the frame the display showed last.
    public var shownRow: UnsafePointer<Float> { UnsafePointer(rows[front]) }
}
