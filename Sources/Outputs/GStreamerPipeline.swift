import CGStreamer
import Foundation

/// One GStreamer pipeline fed from an appsrc named `lvjsrc`, the one place GStreamer is wrapped:
/// building, playing, pushing pooled frame buffers and reading the bus, with errors mapped to
/// `OutputError`. Used from one output thread; the pipeline's own threads do the encoding and sending.
final class GStreamerPipeline: OutputTransport {
    private let pipeline: UnsafeMutablePointer<GstElement>
    private let source: UnsafeMutablePointer<GstAppSrc>
    private let bus: UnsafeMutablePointer<GstBus>
    private let pool: UnsafeMutablePointer<GstBufferPool>
    let frameBytes: Int
    /// Frames the appsrc may hold before the next is dropped (a receiver or encoder that is behind).
    static let queueLimit = 2

    init(description: String, frameBytes: Int, name: String) throws {
        let p = try Self.launch(description, name: name)
        guard let src = lvj_gst_app_src(p, "lvjsrc") else {
            lvj_gst_unref(UnsafeMutableRawPointer(p))
            throw OutputError(name, "the GStreamer pipeline has no appsrc named lvjsrc")
        }
        // Enough buffers for the appsrc's queue, an encoder's frame in flight and a sink's: after them a
        // frame allocates nothing. When all are downstream, the frame is dropped (never waited for).
        guard let pool = lvj_gst_pool_new(UInt32(frameBytes), 6) else {
            lvj_gst_unref(UnsafeMutableRawPointer(src)); lvj_gst_unref(UnsafeMutableRawPointer(p))
            throw OutputError(name, "cannot make GStreamer's buffer pool")
        }
        pipeline = p
        source = src
        self.pool = pool
        bus = lvj_gst_bus(p)
        self.frameBytes = frameBytes
        guard lvj_gst_play(p) != 0 else {
            let why = takeProblem() ?? "it refused to play"
            throw OutputError(name, "the GStreamer pipeline did not start: \(why)")
        }
    }

    deinit {
        lvj_gst_stop(pipeline)
        lvj_gst_unref(UnsafeMutableRawPointer(source))
        lvj_gst_unref(UnsafeMutableRawPointer(bus))
        lvj_gst_pool_free(pool)
        lvj_gst_unref(UnsafeMutableRawPointer(pipeline))
    }

    /// Output thread: one frame of `frameBytes`. Busy: the pipeline still holds its queue or every pooled
    /// buffer (the frame is dropped, counted by the caller).
    func send(_ frame: UnsafePointer<UInt8>) -> OutputPush {
        if lvj_gst_queued(source) >= UInt(Self.queueLimit) { return .busy }
        switch Int(lvj_gst_push(source, pool, frame, frameBytes)) {
        case Int(LVJ_GST_PUSHED): return .sent
        case Int(LVJ_GST_NO_BUFFER): return .busy
        default: return .failed
        }
    }

    /// The oldest error on the bus (warnings are skipped), or nil. Never waits.
    func takeProblem() -> String? {
        var isError: Int32 = 0
        while let text = lvj_gst_pop_problem(bus, &isError) {
            let s = String(cString: text)
            lvj_gst_free(text)
            if isError != 0 { return s }
        }
        return nil
    }

    /// Builds (does not start) a pipeline, with GStreamer's reason when it cannot.
    static func launch(_ description: String, name: String) throws -> UnsafeMutablePointer<GstElement> {
        guard lvj_gst_init() != 0 else { throw OutputError(name, "GStreamer could not start (is libgstreamer1.0-0 installed?)") }
        var problem: UnsafeMutablePointer<CChar>?
        guard let p = lvj_gst_launch(description, &problem) else {
            let why = problem.map { String(cString: $0) } ?? "unknown error"
            lvj_gst_free(problem)
            throw OutputError(name, "cannot build the GStreamer pipeline: \(why) (pipeline: \(description))")
        }
        return p
    }

    /// Whether GStreamer has this element (a plugin that may not be installed).
    static func has(_ element: String) -> Bool { lvj_gst_init() != 0 && lvj_gst_has_element(element) != 0 }
}

/// A receiver in this process: a GStreamer pipeline ending in an appsink named `lvjsink`, read one
/// frame at a time (the outputs' latency probe).
final class GStreamerAppSink {
    private let pipeline: UnsafeMutablePointer<GstElement>
    private let sink: UnsafeMutablePointer<GstAppSink>

    init(description: String, name: String) throws {
        let p = try GStreamerPipeline.launch(description, name: name)
        guard let s = lvj_gst_app_sink(p, "lvjsink") else {
            lvj_gst_unref(UnsafeMutableRawPointer(p))
            throw OutputError(name, "the receiving pipeline has no appsink named lvjsink")
        }
        pipeline = p
        sink = s
        guard lvj_gst_play(p) != 0 else { throw OutputError(name, "the receiving pipeline did not start") }
    }

    deinit {
        lvj_gst_stop(pipeline)
        lvj_gst_unref(UnsafeMutableRawPointer(sink))
        lvj_gst_unref(UnsafeMutableRawPointer(pipeline))
    }

    /// The next frame into `buffer` (bytes copied), nil when none came within `timeout` seconds, 0 at the end.
    func pull(into buffer: UnsafeMutableRawBufferPointer, timeout: Double) -> Int? {
        let n = lvj_gst_pull(sink, UInt64(timeout * 1e9), buffer.baseAddress, buffer.count)
        if n < 0 { return 0 }
        return n == 0 ? nil : n
    }
}
