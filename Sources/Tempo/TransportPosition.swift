/// JACK transport as a timebase master publishes it (bar, beat, tick), taken at one process cycle.
public struct TransportPosition: Equatable, Sendable {
    public var rolling: Bool
    /// 1-based bar and beat, and the tick within the beat, as JACK counts them.
    public var bar: Int
    public var beat: Int
    public var tick: Int
    public var ticksPerBeat: Double
    public var beatsPerBar: Double
    public var bpm: Double
    /// The cycle's time on the audio clock (seconds) the position is for.
    public var time: Double

    public init(rolling: Bool, bar: Int, beat: Int, tick: Int, ticksPerBeat: Double, beatsPerBar: Double, bpm: Double, time: Double) {
        self.rolling = rolling; self.bar = bar; self.beat = beat; self.tick = tick
        self.ticksPerBeat = ticksPerBeat; self.beatsPerBar = beatsPerBar; self.bpm = bpm; self.time = time
    }

    /// Beats since bar 1, beat 1.
    public var beats: Double {
        Double(bar - 1) * beatsPerBar + Double(beat - 1) + (ticksPerBeat > 0 ? Double(tick) / ticksPerBeat : 0)
    }

    /// The beat at `time`, advanced from the cycle's position at its tempo while rolling. nil for a
    /// position that cannot be right (no tempo, no bar).
    public func reading(at t: Double) -> TempoReading? {
        guard bpm.isFinite, bpm > 0, bar >= 1, beat >= 1, beatsPerBar > 0 else { return nil }
        let ahead = rolling ? (t - time) * bpm / 60 : 0
        return TempoReading(source: .jack, bpm: bpm, beat: beats + ahead, running: rolling)
    }
}
