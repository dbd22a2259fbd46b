import Basics
import Tempo

/// What the HUD and `/lvj/status/tempo` show of the beat: a value with no heap storage.
public struct TempoStatus: Equatable, Sendable {
    public var source: TempoSource = .detect
    public var bpm = 0.0, beat = 0.0, phase = 0.0
    public var running = false
    /// True while the chosen source has nothing to say (no clock yet, no timebase master, no taps)
    /// and the detected beat stands in for it.
    public var fallback = false
    /// The lookahead the beat is read at (measured audio-to-frame latency plus `tempo.offset`), ms, and
    /// the time on the audio clock (s) the beat is for: the newest row's time plus the lookahead.
    public var lookaheadMs = 0.0
    public var seconds = 0.0
}

extension TempoSource {
    /// The HUD's name for the source.
    public var hudName: String { rawValue.uppercased() }
}

/// The engine's tempo tracker, shared by the threads that feed it: the MIDI thread (clock, start,
/// stop, song position, stamped on the audio clock), the frame producer (the detected pulse, the JACK
/// transport, taps, and the beat each row is drawn at). Everything is in seconds on the audio clock.
public final class TempoControl: @unchecked Sendable {
    private let tracker: Lock<TempoTracker>
    private let published = Lock(TempoStatus())
    private let clockCounters = Lock<(clocks: Int, transport: Int)>((0, 0))

    public init(source: TempoSource = .detect) { tracker = Lock(TempoTracker(source: source)) }

    /// A system real-time or song-position message (0xF8 clock, 0xFA start, 0xFB continue, 0xFC stop,
    /// 0xF2 song position). True when it was one: the caller does not treat it as a control.
    public func receive(status: UInt8, data1: UInt8, data2: UInt8, at seconds: Double) -> Bool {
        let taken = tracker.withLock { $0.receiveMIDI(status: status, data1: data1, data2: data2, at: seconds) }
        if taken { clockCounters.withLock { $0.clocks += 1 } }
        return taken
    }

    /// MIDI real-time and song-position messages taken so far.
    public var clockMessages: Int { clockCounters.withLock { $0.clocks } }

    public func tap(at seconds: Double) { tracker.withLock { $0.tap(at: seconds) } }

    /// The frame producer, once per feature row: the chosen source, the audio's own tempo and phase, the
    /// transport (nil: none published); returns the beat at `seconds + ahead`.
    func row(source: TempoSource, detectedBPM: Double, phase: Double, transport: TransportPosition?, seconds: Double, ahead: Double)
        -> (reading: TempoReading, fallback: Bool) {
        tracker.withLock { t in
            t.source = source
            t.detected(bpm: detectedBPM, phase: phase)
            t.transport = transport
            return t.reading(at: seconds, ahead: ahead)
        }
    }

    func publish(_ status: TempoStatus) { published.withLock { $0 = status } }
    public var status: TempoStatus { published.withLock { $0 } }
}
