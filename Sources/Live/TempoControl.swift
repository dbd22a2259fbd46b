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
    /// With Link: the other peers in the session, and the time on Link's host clock (s) the beat is
    /// for (0 without a session).
    public var linkPeers = 0
    public var linkHostSeconds = 0.0
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
    /// The Ableton Link session: made the first time `tempo.source` is link (on the main thread, by
    /// `followLink`), joined while it is link, left otherwise.
    private let linkSession = Lock<LinkSession?>(nil)
    /// Beats to Link's phase cycle (`--link-quantum`).
    public let linkQuantum: Double
    private var linkFailed = false

    /// `link`: a session made already (tests: one never enabled); else one is made when first wanted.
    public init(source: TempoSource = .detect, linkQuantum: Double = 4, link: LinkSession? = nil) {
        tracker = Lock(TempoTracker(source: source))
        self.linkQuantum = link?.quantum ?? linkQuantum
        linkSession.withLock { $0 = link }
    }

    public var link: LinkSession? { linkSession.withLock { $0 } }

    /// Main thread, once a turn: joins the Link session while `source` is link and leaves it
    /// otherwise. Throws once if Link cannot start (the detected beat stands in then).
    public func followLink(source: TempoSource) throws {
        let wanted = source == .link
        if wanted, link == nil, !linkFailed {
            do {
                let session = try LinkSession(bpm: 120, quantum: linkQuantum)
                linkSession.withLock { $0 = session }
            } catch { linkFailed = true; throw error }
        }
        link?.enabled = wanted
    }

    /// Proposes a tempo to the Link session (`tempo.bpm`); nothing without one.
    public func proposeLink(bpm: Double) { link?.propose(bpm: bpm) }

    /// A system real-time or song-position message (0xF8 clock, 0xFA start, 0xFB continue, 0xFC stop,
    /// 0xF2 song position). True when it was one: the caller does not treat it as a control.
    public func receive(status: UInt8, data1: UInt8, data2: UInt8, at seconds: Double) -> Bool {
        let taken = tracker.withLock { $0.receiveMIDI(status: status, data1: data1, data2: data2, at: seconds) }
        if taken { clockCounters.withLock { $0.clocks += 1 } }
        return taken
    }

    /// MIDI real-time and song-position messages taken so far.
    public var clockMessages: Int { clockCounters.withLock { $0.clocks } }

    /// A tap. While the source is Link, the tapped tempo is proposed to the session (from the second
    /// tap on): the booth follows the VJ's taps.
    public func tap(at seconds: Double) {
        let (source, bpm) = tracker.withLock { t in t.tap(at: seconds); return (t.source, t.taps.bpm) }
        if source == .link, bpm > 0 { proposeLink(bpm: bpm) }
    }

    /// The Link session's state at `hostSeconds` on its clock (nil without a session). Producer thread:
    /// allocates nothing.
    func linkState(atHost hostSeconds: Double) -> LinkSession.State? {
        linkSession.withLock { $0?.state(atHost: hostSeconds) }
    }

    /// The frame producer, once per feature row: the chosen source, the audio's own tempo and phase, the
    /// transport (nil: none published); returns the beat at `seconds + ahead`.
    func row(source: TempoSource, detectedBPM: Double, phase: Double, transport: TransportPosition?, link: TempoReading?,
             seconds: Double, ahead: Double) -> (reading: TempoReading, fallback: Bool) {
        tracker.withLock { t in
            t.source = source
            t.detected(bpm: detectedBPM, phase: phase)
            t.transport = transport
            t.link = link
            return t.reading(at: seconds, ahead: ahead)
        }
    }

    func publish(_ status: TempoStatus) { published.withLock { $0 = status } }
    public var status: TempoStatus { published.withLock { $0 } }
}
