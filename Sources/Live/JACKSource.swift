import AudioIn
import Tempo
import Basics
import Foundation
import Synchronization

/// The JACK client as the engine's audio: in_1 and in_2 mixed to mono, or (with a file) the file played
/// through out_1/out_2 and analysed from what those ports play in each cycle, so the picture follows
/// exactly what the room hears. Reconnects (every 2 s, asked by the engine) when the server goes away;
/// meanwhile it delivers nothing and the picture goes on. When the server comes back at another sample
/// rate, the file is loaded again at that rate and `sampleRate` reports it (the producer follows).
public final class JACKSource: AudioSource {
    /// A file to play: loads its audio at the server's rate (called again if the rate changes).
    public typealias FileLoader = (_ sampleRate: Double) throws -> AudioClip

    public let input: JACKInput
    private let stereo: UnsafeMutablePointer<Float>
    private let capacity = 1 << 16
    private var lastAttempt = 0.0
    private let loader: FileLoader?
    public let loops: Bool
    /// The file, interleaved stereo at `file.rate`, and how far it has been queued (frames).
    private struct File { var samples: [Float] = []; var rate = 0.0; var queued = 0 }
    private let file = Lock(File())
    /// Set by the main thread after reloading the file; the producer then restarts its analysis.
    public private(set) var reloadError: String?

    /// Listens to in_1/in_2 (`connect` names the ports to connect to them).
    public convenience init(connect pattern: String?) throws { try self.init(connect: pattern, playing: nil) }

    /// With `playing`, plays that file through out_1/out_2 (connected to the speakers) and analyses it.
    public init(connect pattern: String?, playing loader: FileLoader?, loops: Bool = false, serverName: String? = nil) throws {
        var options = JACKInput.Options()
        options.serverName = serverName
        options.playbackOutputs = loader != nil
        options.analysePlayback = loader != nil
        options.playbackFrames = 1 << 18          // 5 s at 48 kHz: the room keeps playing through any stall
        input = try JACKInput(options: options)
        self.loader = loader
        self.loops = loops
        stereo = .allocate(capacity: 2 * capacity)
        if let loader { try load(loader, rate: Double(input.stats.sampleRate), keepingPositionFrom: 0) }
        if let pattern { _ = try input.connect(pattern: pattern) }
        if loader != nil { try input.connectOutputsToSpeakers() }
        if loader != nil { queuePlayback() }      // the first seconds are queued before the first cycle plays
        try input.activate()
        if loader != nil { startFeeder() }
    }

    deinit { feederStop.store(true, ordering: .releasing); stereo.deallocate() }

    /// The file player: a thread of its own keeps the playback ring topped up, so what the room hears
    /// never depends on the renderer (a model reload, a huge model or a stalled frame leaves no gap).
    private let feederStop = Atomic<Bool>(false)
    private func startFeeder() {
        // Holds the source only while topping up, so releasing it ends the thread.
        let t = Thread { [weak self] in
            while Self.topUp(self) { usleep(5_000) }      // a 5 ms top-up against a ring of seconds
        }
        t.name = "latentvj file player"
        t.qualityOfService = .userInteractive
        t.start()
    }

    public var sampleRate: Double { Double(input.stats.sampleRate) }

    public var finished: Bool {
        guard loader != nil, !loops else { return false }
        let done = file.withLock { $0.queued * 2 >= $0.samples.count }
        return done && input.playbackQueuedFrames == 0
    }

    /// Hands over what was captured (or played) since the last call, mixed to mono. Runs on the frame
    /// producer: no allocation.
    public func read(into buffer: UnsafeMutablePointer<Float>, maxFrames: Int) -> Int {
        let n = input.read(into: stereo, maxFrames: min(maxFrames, capacity))
        for i in 0..<n { buffer[i] = 0.5 * (stereo[2 * i] + stereo[2 * i + 1]) }
        return n
    }

    private static func topUp(_ source: JACKSource?) -> Bool {
        guard let source, !source.feederStop.load(ordering: .acquiring) else { return false }
        source.queuePlayback()
        return true
    }

    private func queuePlayback() {
        file.withLock { f in
            let total = f.samples.count / 2
            guard total > 0 else { return }
            f.samples.withUnsafeBufferPointer { s in
                var space = input.playbackSpaceFrames
                while space > 0 {
                    if f.queued >= total { if loops { f.queued = 0 } else { return } }
                    let n = min(space, total - f.queued)
                    let written = input.writePlayback(s.baseAddress! + 2 * f.queued, frames: n)
                    f.queued += written; space -= written
                    if written < n { return }
                }
            }
        }
    }

    /// The server's loss has been reported (once per loss).
    private var reportedLoss = false

    /// Tries to reopen a lost server at most every 2 s (call from the main loop, not the frame producer).
    /// A server that returns at another rate gets the file reloaded at that rate, at the same place.
    /// Returns the loss once, and the return.
    public func keepAlive(now: Double) -> EngineEvent? {
        if input.isConnected { return nil }
        if !reportedLoss {
            reportedLoss = true
            return .jackLost
        }
        guard now - lastAttempt >= 2 else { return nil }
        lastAttempt = now
        JACKServer.silenceLibraryMessages()
        guard (try? input.reconnect()) != nil else { return nil }
        reportedLoss = false
        let back = EngineEvent.jackBack(client: input.clientName, sampleRate: Int(sampleRate))
        guard let loader else { return back }
        let rate = sampleRate
        let (oldRate, queued) = file.withLock { ($0.rate, $0.queued) }
        guard rate != oldRate else { return back }
        do {
            try load(loader, rate: rate, keepingPositionFrom: Double(queued) / oldRate)
            reloadError = nil
        } catch {
            reloadError = "cannot play the file at \(Int(rate)) Hz: \(error)"
        }
        return back
    }

    private func load(_ loader: FileLoader, rate: Double, keepingPositionFrom seconds: Double) throws {
        let clip = try loader(rate)
        var samples = [Float](repeating: 0, count: clip.frameCount * 2)
        for i in 0..<clip.frameCount {
            samples[2 * i] = clip.samples[i * clip.channels]
            samples[2 * i + 1] = clip.samples[i * clip.channels + min(1, clip.channels - 1)]
        }
        let position = min(clip.frameCount, Int(seconds * clip.sampleRate))
        var old = File(samples: samples, rate: clip.sampleRate, queued: position)
        file.withLock { swap(&$0, &old) }
        _ = old   // the previous file is released here, on the caller's thread, not on the producer
    }

    public var backlog: Int { input.availableFrames }

    public func skip(keepingNewest keep: Int) -> Int { input.skip(frames: max(0, input.availableFrames - max(0, keep))) }

    public var deliversAudio: Bool { input.isConnected }

    /// JACK's frame time, unwrapped: the clock MIDI messages are stamped on.
    public var clockOfNewestRead: Int? { input.clockOfNewestRead }
    public var clockNow: Int? { input.clockNow }

    /// The JACK transport, where a timebase master publishes bar and beat.
    public var transport: TransportPosition? {
        guard let t = input.transport() else { return nil }
        return TransportPosition(rolling: t.rolling, bar: t.bar, beat: t.beat, tick: t.tick, ticksPerBeat: t.ticksPerBeat,
                                 beatsPerBar: t.beatsPerBar, bpm: t.bpm, time: Double(t.cycleClock) / sampleRate)
    }

    public var secondsSinceNewestSample: Double {
        guard let now = input.microsecondsNow else { return 0 }
        return Double(Int64(bitPattern: now &- input.stats.lastCallbackMicros)) / 1e6
    }

    /// Seconds of the file heard so far (queued minus still waiting in the ring).
    public var playedSeconds: Double {
        let (queued, rate) = file.withLock { ($0.queued, $0.rate) }
        return rate > 0 ? Double(max(0, queued - input.playbackQueuedFrames)) / rate : 0
    }

    public var status: (text: String, warning: Bool) {
        guard input.isConnected else { return ("JACK server lost: drawing on silence, retrying", true) }
        if let reloadError { return (reloadError, true) }
        let xruns = input.stats.xruns
        if loader != nil {
            let s = Int(playedSeconds)
            return (String(format: "JACK playback %d:%02d, %d xruns", s / 60, s % 60, xruns), false)
        }
        return ("JACK: \(input.clientName) connected, \(xruns) xruns", false)
    }
}
