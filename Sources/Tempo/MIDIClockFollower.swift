/// Follows MIDI beat clock (24 clocks a quarter note) with its transport messages: Start (0xFA),
/// Continue (0xFB), Stop (0xFC) and Song Position Pointer (0xF2, in sixteenth notes).
///
/// The tempo is the slope of a least-squares line through the last beat's clock times, so one late
/// clock (USB, a busy mixer) moves neither tempo nor phase much; the phase is read from that line, not
/// from the newest clock. Times are seconds on the audio clock (JACK frame times of the messages), so
/// the beat lines up with the audio the engine analyses.
public struct MIDIClockFollower: Sendable {
    public static let clocksPerBeat = 24
    /// No clock for this long: the sender went away, the beat holds still and the tempo is unknown again.
    public static let silenceSeconds = 0.5

    private enum Transport { case unknown, running, stopped }
    private var transport = Transport.unknown
    /// Position of the newest clock, in clocks since song position 0; the clock after it gets `next`.
    private var position = 0
    private var next = 0
    private var line = EventLine(capacity: clocksPerBeat + 1)
    /// Clock positions of the events in `line` start here (a jump in position starts a new line).
    private var clocksSeen = 0

    public init() {}

    /// The clock interval of the line before a restart, used until the new line has two clocks.
    private var heldInterval = 0.0

    /// Seconds between clocks and the (fitted) time of the newest clock; nil before any.
    private var grid: (interval: Double, newest: Double)? {
        if let f = line.fit { return f }
        guard let t = line.newest, heldInterval > 0 else { return nil }
        return (heldInterval, t)
    }

    /// Beats per minute from the clocks (0 before two clocks).
    public var bpm: Double {
        guard let g = grid else { return 0 }
        return 60 / (g.interval * Double(Self.clocksPerBeat))
    }

    /// Takes one real-time message (other status bytes are ignored) received at `time` seconds.
    /// Returns true when the message was a clock or transport message.
    @discardableResult
    public mutating func receive(status: UInt8, data1: UInt8 = 0, data2: UInt8 = 0, at time: Double) -> Bool {
        switch status {
        case 0xF8:
            if let last = line.newest {
                let gap = time - last
                if gap > Self.silenceSeconds || gap <= 0 { line.removeAll(); heldInterval = 0 }
                else if let f = line.fit, gap > 1.5 * f.interval || gap < 0.5 * f.interval {
                    // Off the line (a sender that paused, or jumped in tempo): a new line from here.
                    heldInterval = f.interval
                    line.removeAll()
                }
            }
            line.add(time)
            clocksSeen += 1
            if transport != .stopped { position = next; next += 1 }
        case 0xFA:                       // Start: the next clock is the first of beat 0
            transport = .running; next = 0; position = 0
        case 0xFB:                       // Continue from where it stopped (or where the pointer set it)
            transport = .running
        case 0xFC:
            transport = .stopped
        case 0xF2:                       // Song position pointer: sixteenths (6 clocks each), LSB first
            next = (Int(data1 & 0x7F) | Int(data2 & 0x7F) << 7) * 6
            position = next
        default:
            return false
        }
        return true
    }

    /// The beat at `time`: the newest clock's position, advanced along the fitted line while the
    /// transport runs. nil before any clock, and after `silenceSeconds` without one.
    public func reading(at time: Double) -> TempoReading? {
        guard let newest = line.newest, time - newest <= Self.silenceSeconds + 1 else { return nil }
        let tempo = bpm
        let stale = time - newest > Self.silenceSeconds
        let running = transport != .stopped && !stale && tempo > 0
        var beat = Double(position) / Double(Self.clocksPerBeat)
        if transport != .stopped, let f = grid {
            // Along the fitted line from its newest clock (the producer may ask for a moment before the
            // newest clock the MIDI thread has seen); a sender gone quiet holds where the line got to.
            beat += max(-1, min(Self.silenceSeconds, time - f.newest)) / (f.interval * Double(Self.clocksPerBeat))
        }
        return TempoReading(source: .midiClock, bpm: stale ? 0 : tempo, beat: beat, running: running)
    }
}
