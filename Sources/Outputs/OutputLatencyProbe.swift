import Dispatch
import Foundation
import Synchronization

/// End-to-end latency of an output to a receiver on this machine (`bench live --output`): a real
/// `OutputSink` sends flat grey frames at the output's size and rate, a receiver in this process (the
/// pipeline `LocalReceiver` names, ending in an appsink) decodes them, and each arrival is matched to
/// the frame's submission. It measures what the output adds after the render: its ring, scaling, the
/// encoder, the transport and the receiver's decoding. The picture is only the probe's own: a grey level
/// for each frame, 24 levels 8 apart in an order where neighbours differ by 56, so a frame is known by
/// its mean as long as it arrives within 24 frames. The colour conversions on the way shift every level
/// by the same few steps; that shift is searched, as in the outputs' tests.
public enum OutputLatencyProbe {
    public struct Result: Sendable {
        public let uri: String
        /// Frames sent after the warm-up, received (any), and matched to the frame they show.
        public let sent: Int, received: Int, identified: Int
        /// Submission to decoded arrival, ms, over the identified frames.
        public let p50: Double, p99: Double, max: Double
        public var json: [String: Any] {
            ["uri": uri, "sent": sent, "received": received, "identified": identified, "end_to_end_ms": ["p50": p50, "p99": p99, "max": max]]
        }
    }

    static let levels = 24
    /// The grey level of frame `k`.
    static func level(_ k: Int) -> Int { 32 + 8 * step(k) }
    static func step(_ k: Int) -> Int { (k * 7) % levels }

    /// Sends `seconds` of probe frames (after one second of warm-up: a connection, a key frame) and
    /// returns the latency. Throws the reason where no receiver can run here or nothing arrived.
    public static func measure(_ target: OutputTarget, format: OutputFormat, seconds: Double,
                               progress: ((Double) -> Void)? = nil) throws -> Result {
        let receiver = try LocalReceiver.for(target).get()
        let warmUp = 1.0
        let total = Int(((warmUp + seconds) * format.fps).rounded()), firstCounted = Int((warmUp * format.fps).rounded())
        let reader = ProbeReader(pipeline: receiver.pipeline, name: target.uri, bytes: format.width * format.height * receiver.channels,
                                 pixels: format.width * format.height, channels: receiver.channels)
        // A receiver the output sends to (RTP's UDP port, an SRT listener for an output that calls) is
        // bound first, or the first packets, key frame included, go nowhere; shared memory and an SRT
        // output that listens make the socket or the listener their receiver joins.
        let receiverFirst = target.kind == .rtp || (target.kind == .srt && !OutputPipelines.srtURI(target.address).contains("mode=listener"))
        if receiverFirst {
            reader.start()
            waitFor(seconds: 5) { reader.ready || !reader.running }
        }
        // The run just before may still hold the address for a few seconds (SRT closes a listener late).
        let sink = try retrying(seconds: 6) {
            try OutputSink(target: target, name: "probe", sourceWidth: format.width, sourceHeight: format.height, format: format, engineFPS: format.fps)
        }
        if target.kind == .shm { waitFor(seconds: 5) { FileManager.default.fileExists(atPath: target.address) } }
        if !receiverFirst { reader.start() }

        let frame = UnsafeMutablePointer<UInt8>.allocate(capacity: format.width * format.height * 3)
        defer { frame.deallocate() }
        var silence: Float = 0
        var submitted = [UInt64](repeating: 0, count: total)
        let start = DispatchTime.now().uptimeNanoseconds, period = 1e9 / format.fps
        for k in 0..<total {
            let due = start + UInt64(Double(k) * period)
            let now = DispatchTime.now().uptimeNanoseconds
            if due > now { usleep(UInt32((due - now) / 1000)) }
            frame.update(repeating: UInt8(level(k)), count: format.width * format.height * 3)
            submitted[k] = DispatchTime.now().uptimeNanoseconds
            sink.submit(frame: frame, audio: &silence, count: 0)
            progress?(Double(k + 1) / Double(total))
        }
        // The last frames in flight: until nothing more arrives for half a second (at most three seconds).
        let drainEnd = DispatchTime.now().uptimeNanoseconds + 3_000_000_000
        var seen = -1
        while DispatchTime.now().uptimeNanoseconds < drainEnd, reader.running {
            let n = reader.arrivals.count
            if n == seen { break }
            seen = n
            usleep(500_000)
        }
        sink.stop()
        let got = try reader.finish()
        // The shift the conversions gave every level: the one under which most frames are known.
        let latencies = stride(from: -4.0, through: 4.0, by: 0.5).map { match(got, submitted: submitted, shift: $0, firstCounted: firstCounted) }
            .max { $0.count < $1.count } ?? []
        guard !latencies.isEmpty else {
            throw OutputError(target.uri, got.isEmpty ? "the receiver on this machine got no frame" : "the receiver's frames did not show the probe's levels")
        }
        return Result(uri: target.uri, sent: total - firstCounted, received: got.count, identified: latencies.count,
                      p50: latencies[latencies.count / 2], p99: latencies[min(latencies.count - 1, Int(Double(latencies.count) * 0.99))], max: latencies.last!)
    }

    /// Each arrival matched to the newest frame of its level submitted before it, frames in order; the
    /// latencies (ms, sorted) of those from `firstCounted` on.
    static func match(_ got: [(at: UInt64, mean: Double)], submitted: [UInt64], shift: Double, firstCounted: Int) -> [Double] {
        var latencies: [Double] = [], lastFrame = -1
        for a in got {
            let j = (a.mean - shift - 32) / 8
            let s = Int(j.rounded())
            guard s >= 0, s < levels, abs(j - Double(s)) * 8 <= 2 else { continue }
            guard let k = submitted.indices.last(where: { step($0) == s && submitted[$0] != 0 && submitted[$0] <= a.at }), k > lastFrame else { continue }
            lastFrame = k
            if k >= firstCounted { latencies.append(Double(a.at - submitted[k]) / 1e6) }
        }
        return latencies.sorted()
    }

    /// Mean over every channel but the padding byte of RGBx, on a grid of at most ~4096 pixels.
    static func meanLevel(_ buffer: UnsafeMutableRawBufferPointer, pixels: Int, channels: Int) -> Double {
        let stride = Swift.max(1, pixels / 4096)
        var sum = 0.0, n = 0
        for i in Swift.stride(from: 0, to: pixels, by: stride) {
            for c in 0..<3 { sum += Double(buffer[i * channels + c]) }
            n += 3
        }
        return sum / Double(n)
    }

    static func retrying<T>(seconds: Double, _ make: () throws -> T) throws -> T {
        let end = DispatchTime.now().uptimeNanoseconds + UInt64(seconds * 1e9)
        while true {
            do { return try make() } catch {
                if DispatchTime.now().uptimeNanoseconds >= end { throw error }
                usleep(250_000)
            }
        }
    }

    /// Polls `condition` every 10 ms until it holds or `seconds` pass.
    private static func waitFor(seconds: Double, _ condition: () -> Bool) {
        let end = DispatchTime.now().uptimeNanoseconds + UInt64(seconds * 1e9)
        while !condition(), DispatchTime.now().uptimeNanoseconds < end { usleep(10_000) }
    }
}

/// The probe's receiver: pulls decoded frames on its own thread and notes when each arrived and its mean.
private final class ProbeReader: @unchecked Sendable {
    private let lock = NSLock()
    private var got: [(at: UInt64, mean: Double)] = []
    private var problem: Error?
    private let listening = Atomic<Bool>(true), done = Atomic<Bool>(false), isReady = Atomic<Bool>(false)
    private var thread: Thread?
    private var started = false

    init(pipeline: String, name: String, bytes: Int, pixels: Int, channels: Int) {
        thread = Thread { [self] in
            defer { done.store(true, ordering: .releasing) }
            do {
                // The output may not be listening yet (a socket being made, a listener binding): retried.
                let sink = try OutputLatencyProbe.retrying(seconds: 5) {
                    try GStreamerAppSink(description: pipeline + " ! appsink name=lvjsink sync=false max-buffers=8 drop=true", name: name)
                }
                isReady.store(true, ordering: .releasing)
                let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes, alignment: 16)
                defer { buffer.deallocate() }
                while listening.load(ordering: .acquiring) {
                    guard let n = sink.pull(into: buffer, timeout: 0.1) else { continue }
                    let at = DispatchTime.now().uptimeNanoseconds
                    guard n == bytes else { continue }
                    let mean = OutputLatencyProbe.meanLevel(buffer, pixels: pixels, channels: channels)
                    lock.lock(); got.append((at, mean)); lock.unlock()
                }
            } catch {
                lock.lock(); problem = error; lock.unlock()
            }
        }
    }

    func start() { started = true; thread?.start() }
    var running: Bool { !done.load(ordering: .acquiring) }
    /// Its pipeline is built and playing.
    var ready: Bool { isReady.load(ordering: .acquiring) }
    var arrivals: [(at: UInt64, mean: Double)] { lock.lock(); defer { lock.unlock() }; return got }

    /// Stops the receiver; what arrived, or why it could not receive.
    func finish() throws -> [(at: UInt64, mean: Double)] {
        listening.store(false, ordering: .releasing)
        while started && running { usleep(2_000) }
        thread = nil
        lock.lock(); defer { lock.unlock() }
        if let problem { throw problem }
        return got
    }
}
