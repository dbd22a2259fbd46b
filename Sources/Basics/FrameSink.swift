/// Where shown frames go besides the window: the recorder now; outputs to other programs and the
/// network next. The frame producer hands each sink every shown frame (R × R × 3 bytes) with the mono
/// audio that came with it. A sink copies into a lock-free ring of its own and returns at once; its own
/// thread does the slow part (encoding, sending). A slow sink drops its own frames and counts them: it
/// never slows the producer, and it never allocates or blocks in `submit`.
///
/// The window is fed the same way through `LatestFrame` (a triple buffer the main thread takes the
/// newest frame from), because SDL must be driven from the main thread.
public protocol FrameSink: AnyObject {
    /// Producer thread: one shown frame and the audio that arrived with it. Returns false when the
    /// sink dropped the frame (its ring is full).
    @discardableResult
    func submit(frame: UnsafePointer<UInt8>, audio: UnsafePointer<Float>, count: Int) -> Bool
    /// Producer thread: audio that arrived with no new frame (the state did not advance by a row).
    func submit(audio: UnsafePointer<Float>, count: Int)
    /// Frames dropped so far.
    var dropped: Int { get }
}
