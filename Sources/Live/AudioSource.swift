import AudioIn
import Tempo
import Foundation

/// Where the engine's audio comes from: the JACK inputs, or a file played on an internal clock.
/// The frame producer drains it once per frame.
public protocol AudioSource: AnyObject {
    var sampleRate: Double { get }
    /// Copies up to `maxFrames` mono samples that arrived since the last call; returns how many.
    func read(into buffer: UnsafeMutablePointer<Float>, maxFrames: Int) -> Int
    /// One line for the HUD ("file playback 0:42", "JACK: connected", …) and whether it is a warning.
    var status: (text: String, warning: Bool) { get }
    /// True once a finite source has delivered everything.
    var finished: Bool { get }
    /// Seconds since the newest sample handed over by `read` entered the source (its ring, or the file
    /// clock): with the samples still waiting for a feature row, a frame's audio-to-frame latency.
    var secondsSinceNewestSample: Double { get }
    /// Samples that have arrived and wait for `read` (how far behind the reader is).
    var backlog: Int { get }
    /// Drops the oldest waiting samples so that at most `keepingNewest` remain; returns how many went.
    /// The engine calls it when it has fallen behind: the picture jumps to the music as it is now.
    func skip(keepingNewest: Int) -> Int
    /// False while the source cannot deliver (a JACK server that went away): the engine then draws on
    /// silence at the wall clock's pace, so controls and ramps go on while the audio is missing.
    var deliversAudio: Bool { get }
    /// The audio clock (frames) of the newest sample `read` handed over, and the clock now: the time
    /// base MIDI clock stamps and the beat are read on. nil where the source has no clock (yet).
    var clockOfNewestRead: Int? { get }
    var clockNow: Int? { get }
    /// The JACK transport's position, where a timebase master publishes bar and beat (nil elsewhere).
    var transport: TransportPosition? { get }
}

extension AudioSource {
    public var secondsSinceNewestSample: Double { 0 }
    public var backlog: Int { 0 }
    public func skip(keepingNewest: Int) -> Int { 0 }
    public var deliversAudio: Bool { true }
    public var clockOfNewestRead: Int? { nil }
    public var clockNow: Int? { nil }
    public var transport: TransportPosition? { nil }
}

/// A file played on an internal real-time clock: each read hands over the samples whose time has
/// come, so the engine hears it exactly as a live input (`latentvj live --audio FILE` on any machine).
public final class FilePlayback: AudioSource {
    public let sampleRate: Double
    private let mono: [Float]
    private let start: UInt64
    private var position = 0
    public let loops: Bool

    public init(clip: AudioClip, loops: Bool = false) {
        sampleRate = clip.sampleRate
        mono = clip.mono()
        self.loops = loops
        start = DispatchTime.now().uptimeNanoseconds
    }

    /// Samples played so far by the clock (the audio position of the newest frame).
    public var clockPosition: Int { Int(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 * sampleRate) }

    public func read(into buffer: UnsafeMutablePointer<Float>, maxFrames: Int) -> Int {
        let due = clockPosition
        var written = 0
        mono.withUnsafeBufferPointer { m in
            while written < maxFrames && position < due {
                let index = loops ? position % m.count : position
                guard index < m.count else { break }
                buffer[written] = m[index]
                written += 1; position += 1
            }
        }
        return written
    }

    public var finished: Bool { !loops && position >= mono.count }

    public var backlog: Int {
        let due = clockPosition
        return max(0, (loops ? due : min(due, mono.count)) - position)
    }

    public func skip(keepingNewest keep: Int) -> Int {
        let n = max(0, backlog - max(0, keep))
        position += n
        return n
    }

    public var secondsSinceNewestSample: Double { Double(clockPosition - position) / sampleRate }

    /// The file's own clock: sample k of the playback was heard at k.
    public var clockOfNewestRead: Int? { position > 0 ? position - 1 : nil }
    public var clockNow: Int? { clockPosition }

    public var status: (text: String, warning: Bool) {
        let seconds = Int(Double(position) / sampleRate)
        return (String(format: "file playback %d:%02d", seconds / 60, seconds % 60), false)
    }
}
