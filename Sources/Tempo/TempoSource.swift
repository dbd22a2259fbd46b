/// Where the engine's beat comes from (`--tempo`, and live through `tempo.source`).
public enum TempoSource: String, CaseIterable, Sendable {
    /// The tempo and phase the engine estimates from the audio (the pulse tracker): the default.
    case detect
    /// 24 clocks a beat from a DJ mixer or software, with start, stop, continue and song position.
    case midiClock = "midi-clock"
    /// JACK transport, where a timebase master publishes bar, beat and tick.
    case jack
    /// An Ableton Link session on the local network, read with the configured quantum.
    case link
    /// Taps: a key, an OSC address or a mapped MIDI control.
    case tap

    /// The names `--tempo` and the `tempo.source` parameter take, in this order.
    public static let names = allCases.map(\.rawValue)
}

/// The beat as one source tells it, at one moment on the audio clock.
public struct TempoReading: Equatable, Sendable {
    public var source: TempoSource
    /// Beats per minute (0 while the source has told none yet).
    public var bpm: Double
    /// Beats since the source's zero (song position), continuous.
    public var beat: Double
    /// False while the source's transport stands (stop, no clock yet, a transport that is not rolling):
    /// the beat holds still.
    public var running: Bool

    public init(source: TempoSource, bpm: Double, beat: Double, running: Bool) {
        self.source = source; self.bpm = bpm; self.beat = beat; self.running = running
    }

    /// Where in the beat it is, 0 (on the beat) up to 1.
    public var phase: Double { beat - beat.rounded(.down) }
}

/// Changes on the beat (`control.quantize`): off, or every so many beats.
public enum Quantize: String, CaseIterable, Sendable {
    case off, beat, bar
    case twoBars = "2bars"
    case fourBars = "4bars"

    public static let names = allCases.map(\.rawValue)

    /// Beats between boundaries (4/4 bars); nil when off.
    public var beats: Double? {
        switch self {
        case .off: nil
        case .beat: 1
        case .bar: 4
        case .twoBars: 8
        case .fourBars: 16
        }
    }

    /// True when going from beat `from` to beat `to` crosses (or reaches) a boundary: a multiple of
    /// `beats`. A beat that stands still or goes back crosses nothing.
    public func crossed(from: Double, to: Double) -> Bool {
        guard let q = beats, to > from else { return false }
        return (to / q).rounded(.down) > (from / q).rounded(.down)
    }
}

/// Fires once per quantize boundary as the beat passes it. A beat that wobbles back a little (a
/// tracker's phase correction) fires nothing twice; one that jumps back (a new source, a transport
/// relocated) starts counting from where it is now.
public struct QuantizeGate: Sendable {
    /// The boundary (beat / quantum, rounded down) passed last; nil before the first beat.
    private var passed: Double?
    public init() {}

    public mutating func crossed(_ quantize: Quantize, beat: Double) -> Bool {
        guard let q = quantize.beats, beat.isFinite else { passed = nil; return false }
        let index = (beat / q).rounded(.down)
        guard let last = passed else { passed = index; return false }
        if index > last { passed = index; return true }
        if beat < (last - 0.5) * q { passed = index }
        return false
    }
}

/// A setting held by a choice parameter (`tempo.source`, `control.quantize`): its value is an index
/// into `allCases`.
public protocol ChoiceSetting: CaseIterable where AllCases == [Self] {}

extension ChoiceSetting {
    /// The case a parameter value names, clamped to the list.
    public init(choiceValue value: Double) {
        let all = Self.allCases
        self = all[min(all.count - 1, max(0, value.isFinite ? Int(value) : 0))]
    }
}

extension TempoSource: ChoiceSetting {}
extension Quantize: ChoiceSetting {}
