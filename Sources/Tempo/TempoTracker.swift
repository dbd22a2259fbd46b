/// The engine's beat, from the source chosen now: it hears every source all the time (MIDI clock,
/// taps, the JACK transport, the audio's own pulse), so switching is instant and a source that falls
/// silent hands over to the detected beat until it comes back.
public struct TempoTracker: Sendable {
    public var source: TempoSource
    public private(set) var midiClock = MIDIClockFollower()
    public private(set) var taps = TapTempo()
    /// The newest JACK transport position (nil: no timebase master publishes bar and beat).
    public var transport: TransportPosition?
    /// The Link session's beat at the time asked for (nil: no session, or no other peer in it), read
    /// by the caller, which knows how the audio clock maps to Link's host clock.
    public var link: TempoReading?
    /// The detected beat: the pulse tracker's phase, counted through its wraps.
    private var detectedBeats = 0, detectedPhase = 0.0, detectedBPM = 0.0

    public init(source: TempoSource = .detect) { self.source = source }

    public mutating func receiveMIDI(status: UInt8, data1: UInt8, data2: UInt8, at time: Double) -> Bool {
        midiClock.receive(status: status, data1: data1, data2: data2, at: time)
    }

    public mutating func tap(at time: Double) { taps.tap(at: time) }

    /// One feature row of the audio's own analysis: its tempo estimate and beat phase (0…1).
    public mutating func detected(bpm: Double, phase: Double) {
        guard bpm.isFinite, phase.isFinite else { return }
        if bpm > 0, phase < detectedPhase - 0.5 { detectedBeats += 1 }      // the phase wrapped: a beat
        detectedPhase = phase
        detectedBPM = bpm
    }

    /// The detected beat at the newest analysed row, `ahead` seconds later (at its tempo).
    public func detectedReading(ahead: Double = 0) -> TempoReading {
        TempoReading(source: .detect, bpm: detectedBPM, beat: Double(detectedBeats) + detectedPhase + max(0, ahead) * detectedBPM / 60,
                     running: detectedBPM > 0)
    }

    /// The chosen source's beat at `time` (seconds on the audio clock). nil when it has nothing to
    /// say (no clock yet, a transport without bar and beat, no taps): the engine falls back to the
    /// detected beat then.
    public func external(at time: Double) -> TempoReading? {
        switch source {
        case .detect: nil
        case .midiClock: midiClock.reading(at: time)
        case .jack: transport?.reading(at: time)
        case .link: link
        case .tap: taps.reading(at: time)
        }
    }

    /// The beat to use at `time`, with the detected beat's lookahead `ahead`: the chosen source's, or
    /// the detected one (and `fallback` true) while that has nothing.
    public func reading(at time: Double, ahead: Double) -> (reading: TempoReading, fallback: Bool) {
        if let r = external(at: time + ahead) { return (r, false) }
        return (detectedReading(ahead: ahead), source != .detect)
    }
}
