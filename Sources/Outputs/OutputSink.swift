import AudioIn
import Basics
import Dispatch
import Foundation
import Imaging
import Synchronization

/// One output into the VJ's rig (NDI, v4l2loopback, shared memory, SRT, RTP, any GStreamer sink): a
/// frame sink with its own ring and thread, so a slow or vanished receiver drops this output's frames
/// (counted) and never slows the render, the window, the recording or another output.
///
/// The producer only copies the shown frame into the ring (`submit`: no allocation, no wait). The
/// output's thread scales it to the output's size with an antialiased filter, and sends it. A transport
/// that fails (a receiver gone for good, a pipeline error) is rebuilt after a second; frames meanwhile
/// are dropped and counted, and the state says why.
public final class OutputSink: FrameSink, @unchecked Sendable {
    /// The short name of its `output.NAME` parameter and status row: the kind, numbered when repeated.
    public let name: String
    public let target: OutputTarget
    public let format: OutputFormat
    public let sourceWidth: Int, sourceHeight: Int

    public enum State: Equatable, Sendable {
        case sending
        /// The transport stopped for `reason`; it is rebuilt every few seconds until it works again.
        case retrying(reason: String)
    }

    /// What changed, for the engine's events.
    public enum Change: Equatable, Sendable {
        case failed(reason: String)
        case recovered
    }

    public struct Counters: Equatable, Sendable {
        /// Frames taken from the producer (after the output's rate), sent on, and dropped (a full ring,
        /// a busy receiver, or no transport).
        public var taken: Int, sent: Int, dropped: Int
        /// Times the transport was rebuilt after a failure.
        public var restarts: Int
    }

    private let sourceBytes: Int
    private let ring: SPSCRing<UInt8>
    /// When each frame in `ring` was submitted (uptime ns), one entry per frame, same order.
    private let submittedAt: SPSCRing<UInt64>
    /// Hand-off time of every frame sent (ms from `submit` to the transport taking it), preallocated.
    private let handoffs: UnsafeMutablePointer<Double>
    private let maxHandoffs = 1 << 16
    private let resampler: Resampler
    private let scaled: UnsafeMutablePointer<UInt8>
    private let source: UnsafeMutablePointer<UInt8>
    private let wake = DispatchSemaphore(value: 0)
    private let running = Atomic<Bool>(true)
    private let finished = Atomic<Bool>(false)
    private let enabledFlag = Atomic<Bool>(true)
    private let takenCount = Atomic<Int>(0), sentCount = Atomic<Int>(0), droppedCount = Atomic<Int>(0), restartCount = Atomic<Int>(0)
    private let stateLock = Lock<(state: State, changes: [Change])>((.sending, []))
    private let threadID = Atomic<UInt>(0)
    private let makeTransport: () throws -> OutputTransport
    /// Producer thread only: frames owed to the output's rate (it sends `format.fps` of the engine's `engineFPS`).
    private var phase = 1.0
    private let ratio: Double
    /// Seconds between attempts to rebuild a failed transport.
    public static let retrySeconds = 1.0

    /// Opens the output now: a missing runtime, device or plugin is an error here, with what to do about it.
    public convenience init(target: OutputTarget, name: String, sourceWidth: Int, sourceHeight: Int, format: OutputFormat, engineFPS: Double,
                            ndiRuntime: String? = nil, bufferedFrames: Int = 2) throws {
        let label = "\(name) (\(target.uri))"
        let make: () throws -> OutputTransport
        switch target.kind {
        case .ndi:
            make = { try NDISender(sourceName: target.address, format: format, runtimePath: ndiRuntime, name: label) }
        case .web:
            throw OutputError(label, "the web preview is the engine's own (the web surface shows it)")
        default:
            if target.kind == .v4l2 { try V4L2Loopback.check(device: target.address, output: label) }
            for (element, package) in OutputPipelines.elements(for: target.kind) where !GStreamerPipeline.has(element) {
                throw OutputError(label, "GStreamer's \(element) is missing: install \(package)")
            }
            let description = OutputPipelines.description(for: target, format: format)!
            make = { try GStreamerPipeline(description: description, frameBytes: format.width * format.height * 4, name: label) }
        }
        try self.init(target: target, name: name, sourceWidth: sourceWidth, sourceHeight: sourceHeight, format: format, engineFPS: engineFPS,
                      bufferedFrames: bufferedFrames, make: make)
    }

    /// The web surface's live thumbnail: an output like the others (its own ring, thread and rate), into
    /// `preview`, switched off until someone watches.
    public convenience init(preview: PreviewFrame, sourceWidth: Int, sourceHeight: Int, fps: Double, engineFPS: Double) {
        let format = OutputFormat(width: preview.width, height: preview.height, fps: min(fps, engineFPS))
        // Cannot throw: the transport is the frame itself.
        try! self.init(target: .webPreview, name: "preview", sourceWidth: sourceWidth, sourceHeight: sourceHeight, format: format,
                       engineFPS: engineFPS, bufferedFrames: 1, make: { preview })
        enabled = false
    }

    private init(target: OutputTarget, name: String, sourceWidth: Int, sourceHeight: Int, format: OutputFormat, engineFPS: Double,
                 bufferedFrames: Int, make: @escaping () throws -> OutputTransport) throws {
        self.target = target; self.name = name; self.format = format
        self.sourceWidth = sourceWidth; self.sourceHeight = sourceHeight
        ratio = min(1, format.fps / engineFPS)
        let outputBytes = format.width * format.height * 4
        makeTransport = make
        let first = try make()
        sourceBytes = sourceWidth * sourceHeight * 3
        ring = SPSCRing(minimumCapacity: bufferedFrames * sourceBytes)
        submittedAt = SPSCRing(minimumCapacity: bufferedFrames + 1)
        handoffs = .allocate(capacity: maxHandoffs)
        resampler = Resampler(sourceWidth: sourceWidth, sourceHeight: sourceHeight, width: format.width, height: format.height, outputChannels: 4)
        scaled = .allocate(capacity: outputBytes)
        source = .allocate(capacity: sourceBytes)
        let t = Thread { [unowned self] in self.send(first) }
        t.name = "latentvj output \(name)"
        t.start()
    }

    deinit {
        stop()
        ring.deallocate(); submittedAt.deallocate(); handoffs.deallocate(); scaled.deallocate(); source.deallocate()
    }

    /// Ends the output's thread and its transport (the receiver sees the stream end).
    public func stop() {
        running.store(false, ordering: .releasing)
        wake.signal()
        while !finished.load(ordering: .acquiring) { usleep(2_000) }
    }

    /// Switched off (`output.NAME` at 0), an output takes no frames and drops none.
    public var enabled: Bool {
        get { enabledFlag.load(ordering: .relaxed) }
        set { enabledFlag.store(newValue, ordering: .relaxed) }
    }

    public var counters: Counters {
        Counters(taken: takenCount.load(ordering: .relaxed), sent: sentCount.load(ordering: .relaxed),
                 dropped: droppedCount.load(ordering: .relaxed), restarts: restartCount.load(ordering: .relaxed))
    }
    public var dropped: Int { droppedCount.load(ordering: .relaxed) }
    public var state: State { stateLock.withLock { $0.state } }
    /// Time from `submit` to the transport taking the frame (ring wait, scaling, push), ms, over every frame
    /// sent so far: what this output adds on our side before its encoder and network.
    public func handoffPercentiles() -> (p50: Double, p99: Double) {
        let n = min(sentCount.load(ordering: .acquiring), maxHandoffs)
        guard n > 0 else { return (0, 0) }
        let sorted = UnsafeBufferPointer(start: handoffs, count: n).sorted()
        return (sorted[n / 2], sorted[min(n - 1, Int(Double(n) * 0.99))])
    }

    /// Failures and recoveries since the last call (main loop).
    public func takeChanges() -> [Change] { stateLock.withLock { s in defer { s.changes = [] }; return s.changes } }
    /// The output thread (pthread_self as an integer; 0 before it runs), for the allocation tests.
    public var outputThread: UInt { threadID.load(ordering: .acquiring) }

    /// Producer thread: copies the frame into the ring when the output's rate wants it. Never waits,
    /// never allocates. False when the ring was full (the output is behind; counted as dropped).
    @discardableResult
    public func submit(frame: UnsafePointer<UInt8>, audio: UnsafePointer<Float>, count: Int) -> Bool {
        guard enabledFlag.load(ordering: .relaxed), running.load(ordering: .relaxed) else { return true }
        phase += ratio
        guard phase >= 1 else { return true }
        phase -= 1
        takenCount.add(1, ordering: .relaxed)
        guard ring.availableToWrite >= sourceBytes, submittedAt.availableToWrite >= 1 else { droppedCount.add(1, ordering: .relaxed); return false }
        _ = submittedAt.write(DispatchTime.now().uptimeNanoseconds)
        _ = ring.write(frame, count: sourceBytes)
        wake.signal()
        return true
    }

    /// Outputs carry the picture only.
    public func submit(audio: UnsafePointer<Float>, count: Int) {}

    private func change(_ state: State, _ c: Change) {
        stateLock.withLock { $0.state = state; $0.changes.append(c) }
    }

    /// Output thread: scale and send what the ring holds; rebuild a failed transport.
    private func send(_ first: OutputTransport) {
        threadID.store(UInt(bitPattern: Int(bitPattern: UInt(pthread_self()))), ordering: .releasing)
        var transport: OutputTransport? = first
        var retryAt: UInt64 = 0
        defer { transport = nil; finished.store(true, ordering: .releasing) }
        while running.load(ordering: .acquiring) {
            _ = wake.wait(timeout: .now() + .milliseconds(100))
            let now = DispatchTime.now().uptimeNanoseconds
            if let t = transport, let problem = t.takeProblem() {
                transport = nil
                retryAt = now + UInt64(Self.retrySeconds * 1e9)
                change(.retrying(reason: problem), .failed(reason: problem))
            }
            if transport == nil, now >= retryAt, running.load(ordering: .acquiring) {
                do {
                    transport = try makeTransport()
                    restartCount.add(1, ordering: .relaxed)
                    change(.sending, .recovered)
                } catch {
                    retryAt = now + UInt64(Self.retrySeconds * 1e9)
                }
            }
            while ring.count >= sourceBytes {
                var at: UInt64 = 0
                _ = submittedAt.read(into: &at, maxCount: 1)
                _ = ring.read(into: source, maxCount: sourceBytes)
                guard let t = transport else { droppedCount.add(1, ordering: .relaxed); continue }
                resampler.scale(source, into: scaled)
                switch t.send(scaled) {
                case .sent:
                    let n = sentCount.load(ordering: .relaxed)
                    if n < maxHandoffs { handoffs[n] = Double(DispatchTime.now().uptimeNanoseconds - at) / 1e6 }
                    sentCount.add(1, ordering: .relaxed)
                case .busy: droppedCount.add(1, ordering: .relaxed)
                case .failed:
                    droppedCount.add(1, ordering: .relaxed)
                    let problem = t.takeProblem() ?? "the pipeline refused a frame"
                    transport = nil
                    retryAt = now + UInt64(Self.retrySeconds * 1e9)
                    change(.retrying(reason: problem), .failed(reason: problem))
                }
            }
        }
        // Frames still in the ring when the output closes are never sent: counted, so that every frame
        // taken is either sent or dropped.
        while ring.count >= sourceBytes {
            var at: UInt64 = 0
            _ = submittedAt.read(into: &at, maxCount: 1)
            _ = ring.read(into: source, maxCount: sourceBytes)
            droppedCount.add(1, ordering: .relaxed)
        }
    }
}
