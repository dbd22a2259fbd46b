/// Tap tempo: each tap is a beat. The tempo is the least-squares slope through the last eight taps;
/// a pause of more than two seconds starts a new series (the tempo stays until two new taps set it).
public struct TapTempo: Sendable {
    public static let restartSeconds = 2.0
    private var line = EventLine(capacity: 8)
    /// Beat number of the newest tap, counted over every series.
    private var beatOfNewest = -1.0
    private var bpmHeld = 0.0
    private var anchor: (beat: Double, time: Double)?

    public init() {}

    public var bpm: Double { bpmHeld }

    public mutating func tap(at time: Double) {
        if let last = line.newest, time - last > Self.restartSeconds || time < last {
            // A new series: its first tap is the next whole beat after where the old tempo has got to.
            let now = reading(at: time)?.beat ?? beatOfNewest
            line.removeAll()
            beatOfNewest = (now + 0.5).rounded(.down)
        } else {
            beatOfNewest += 1
        }
        line.add(time)
        if let f = line.fit {
            bpmHeld = 60 / f.interval
            anchor = (beatOfNewest, f.newest)
        } else {
            anchor = (beatOfNewest, time)
        }
    }

    /// The beat at `time`, running on from the last taps at their tempo; nil before a tempo was tapped.
    public func reading(at time: Double) -> TempoReading? {
        guard let anchor, bpmHeld > 0 else { return nil }
        return TempoReading(source: .tap, bpm: bpmHeld, beat: anchor.beat + (time - anchor.time) * bpmHeld / 60, running: true)
    }
}
