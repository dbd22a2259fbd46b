import AudioIn
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
        input = try JACKInput(options: options)
        self.loader = loader
        self.loops = loops
        stereo = .allocate(capacity: 2 * capacity)
        if let loader { try load(loader, rate: Double(input.stats.sampleRate), keepingPositionFrom: 0) }
        if let pattern { _ = try input.connect(pattern: pattern) }
        if loader != nil { try input.connectOutputsToSpeakers() }
        try input.activate()
    }

    deinit { stereo.deallocate() }

    public var sampleRate: Double { Double(input.stats.sampleRate) }

    public var finished: Bool {
        guard loader != nil, !loops else { return false }
        let done = file.withLock { $0.queued * 2 >= $0.samples.count }
        return done && input.playbackQueuedFrames == 0
    }

    /// Tops up the playback ring from the file, then hands over what was captured (or played) since the
    /// last call, mixed to mono. Runs on the frame producer: no allocation.
    public func read(into buffer: UnsafeMutablePointer<Float>, maxFrames: Int) -> Int {
        if loader != nil { queuePlayback() }
        let n = input.read(into: stereo, maxFrames: min(maxFrames, capacity))
        for i in 0..<n { buffer[i] = 0.5 * (stereo[2 * i] + stereo[2 * i + 1]) }
        return n
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

    /// The log has said the server is gone (once per loss).
    private var reportedLoss = false

    /// Tries to reopen a lost server at most every 2 s (call from the main loop, not the frame producer).
    /// A server that returns at another rate gets the file reloaded at that rate, at the same place.
    public func keepAlive(now: Double) {
        if input.isConnected { return }
        if !reportedLoss {
            reportedLoss = true
            FileHandle.standardError.write("JACK server lost: drawing on silence, reconnecting every 2 s\n")
        }
        guard now - lastAttempt >= 2 else { return }
        lastAttempt = now
        JACKServer.silenceLibraryMessages()
        guard (try? input.reconnect()) != nil else { return }
        reportedLoss = false
        FileHandle.standardError.write("JACK server back: \(input.clientName) at \(Int(sampleRate)) Hz\n")
        guard let loader else { return }
        let rate = sampleRate
        let (oldRate, queued) = file.withLock { ($0.rate, $0.queued) }
        guard rate != oldRate else { return }
        do {
            try load(loader, rate: rate, keepingPositionFrom: Double(queued) / oldRate)
            reloadError = nil
        } catch {
            reloadError = "cannot play the file at \(Int(rate)) Hz: \(error)"
        }
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
