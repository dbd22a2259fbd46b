/// Controller feedback: the current value of every mapped parameter whose entry says `feedback: true`,
/// as the MIDI message that would have set it, so LEDs light, motorised faders move and encoder rings
/// follow presets, morphs, tablets and other controllers. The exact inverse of `MappingRouter`'s rules.
/// Lives on the control thread with the router.
public struct MappingFeedback {
    private let entries: [(entry: Mapping.Entry, parameter: Int, bounds: ClosedRange<Double>)]
    /// What was sent last per entry (nil: nothing yet).
    private var sent: [[[UInt8]]?]

    public init(mapping: Mapping, registry: ParameterRegistry) {
        entries = mapping.entries.compactMap { e in
            guard e.feedback, case .parameter(let i) = e.target else { return nil }
            return (e, i, e.bounds(in: registry))
        }
        sent = Array(repeating: nil, count: entries.count)
    }

    public var count: Int { entries.count }

    /// The messages that show `store`'s values now: every entry's when `all` (at start, after a preset
    /// recall, after a morph), otherwise only those whose message changed since it was last sent.
    public mutating func messages(_ store: ParameterStore, all: Bool) -> [[UInt8]] {
        var out: [[UInt8]] = []
        for k in entries.indices {
            let m = Self.messages(entries[k].entry, value: store.value(entries[k].parameter), bounds: entries[k].bounds)
            guard all || sent[k] != m else { continue }
            sent[k] = m
            out += m
        }
        return out
    }

    /// A control moved by hand already shows its position: what it sent counts as sent, so a fader is
    /// not pushed back to where it already is. Buttons that toggle are answered: their LED follows the
    /// parameter, not the press.
    public mutating func moved(_ control: Mapping.Control, _ store: ParameterStore) {
        for k in entries.indices where entries[k].entry.control.overlaps(control) {
            switch entries[k].entry.mode {
            case .absolute, .relative:
                sent[k] = Self.messages(entries[k].entry, value: store.value(entries[k].parameter), bounds: entries[k].bounds)
            default: break
            }
        }
    }

    /// The message(s) that put `entry`'s control where `value` is.
    static func messages(_ entry: Mapping.Entry, value: Double, bounds: ClosedRange<Double>) -> [[UInt8]] {
        let lo = bounds.lowerBound, hi = bounds.upperBound
        let position: Double           // 0…1 of the control's travel
        switch entry.mode {
        case .toggle, .momentary, .trigger:
            let on = abs(value - hi) <= abs(value - lo)
            position = on != (entry.mode == .momentary && entry.invert) ? 1 : 0
        case .absolute, .relative:
            var y = hi > lo ? min(1, max(0, (value - lo) / (hi - lo))) : 0
            if entry.invert { y = 1 - y }
            position = entry.mode == .relative ? y : entry.curve.inverse(y)
        }
        func status(_ kind: UInt8, _ channel: Int?) -> UInt8 { kind << 4 | UInt8(truncatingIfNeeded: ((channel ?? 1) - 1) & 0x0F) }
        func seven(_ x: Double) -> UInt8 { UInt8(min(127, max(0, (x * 127).rounded()))) }
        switch entry.control {
        case .cc(let channel, let cc):
            return [[status(0xB, channel), UInt8(cc & 0x7F), seven(position)]]
        case .cc14(let channel, let cc):
            let v = Int(min(16383, max(0, (position * 16383).rounded())))
            return [[status(0xB, channel), UInt8(cc & 0x7F), UInt8(v >> 7)], [status(0xB, channel), UInt8((cc + 32) & 0x7F), UInt8(v & 0x7F)]]
        case .note(let channel, let note):
            return [[status(0x9, channel), UInt8(note & 0x7F), position >= 0.5 ? 127 : 0]]
        case .pitchBend(let channel):
            let v = Int(min(16383, max(0, (position * 16383).rounded())))
            return [[status(0xE, channel), UInt8(v & 0x7F), UInt8(v >> 7)]]
        case .program, .osc:
            return []
        }
    }
}

extension Mapping.Curve {
    /// The controller position that gives `y`: exponential and log are each other's inverse.
    public func inverse(_ y: Double) -> Double {
        switch self {
        case .linear: y
        case .exponential: Mapping.Curve.log.apply(y)
        case .log: Mapping.Curve.exponential.apply(y)
        }
    }
}
