/// What one push of a frame came to.
enum OutputPush { case sent, busy, failed }

/// How frames leave an output: a GStreamer pipeline or an NDI sender. Used from the output's thread only.
protocol OutputTransport: AnyObject {
    /// One frame of the output's size, RGBx. Busy: the receiver or encoder is behind and the frame is dropped.
    func send(_ frame: UnsafePointer<UInt8>) -> OutputPush
    /// A problem that stopped the transport since the last call (it is then rebuilt), or nil. Never waits.
    func takeProblem() -> String?
}

