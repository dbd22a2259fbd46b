/// Applies controller input to the parameter store through a mapping. Lives on one control thread
/// (the MIDI reader / OSC server): no locking. It may allocate (that thread is not real-time), but a
/// message costs a dictionary lookup or two, so a controller flood does not back up.
///
/// The rules, per mode (lo/hi = the entry's range, or the parameter's):
/// - absolute: x = cc/127, 14-bit/16383, pitch bend/16383, OSC value clamped to 0…1;
///   y = curve(x); inverted y = 1 − y; value = lo + y (hi − lo).
/// - relative (CC only): 1…63 = n steps up, 65…127 = 128 − n steps down, 0 and 64 nothing; a step is
///   (hi − lo)/127, or 1 for whole-numbered parameters (integer, choice, toggle), from the stored value.
///   invert reverses the direction.
/// - toggle: press (note on, CC ≥ 64, OSC ≥ 0.5) moves to whichever end is farther from the stored
///   value (0 ↔ 1 for a toggle); release ignored.
/// - momentary: press → hi, release (note off, CC < 64, OSC < 0.5) → lo; inverted the other way round.
/// - trigger: press fires (sets 1); release ignored.
/// 14-bit CC: the MSB (cc n) applies at once as msb·128, and the LSB (cc n+32) completes it with the
/// latest MSB of that channel; an LSB before any MSB is ignored.
public final class MappingRouter {
    public private(set) var mapping: Mapping
    public let store: ParameterStore
    /// Called with the preset slot (program number + 1) for a program change bound to `preset`.
    private let onProgram: (Int) -> Void

    private var midiTable: [Int: [Int]] = [:]
    private var oscTable: [String: [Int]] = [:]
    private var bounds: [ClosedRange<Double>] = []
    private var wholeSteps: [Bool] = []
    /// Latest 14-bit MSB per (channel, controller 0–31); −1 = none yet.
    private var msb = [Int](repeating: -1, count: 16 * 32)

    public init(mapping: Mapping, store: ParameterStore, onProgram: @escaping (Int) -> Void = { _ in }) {
        self.mapping = mapping
        self.store = store
        self.onProgram = onProgram
        rebuild()
    }

    /// Swaps in a reloaded mapping (held 14-bit MSBs are forgotten).
    public func replace(mapping: Mapping) {
        self.mapping = mapping
        rebuild()
    }

    /// Whether some entry listens to this OSC address (so the OSC server can route non-/lvj messages here).
    public func handles(osc address: String) -> Bool { oscTable[address] != nil }

    private enum Kind: Int { case cc, cc14, note, pitchBend, program }
    private static let anyProgram = 128

    /// One integer per (kind, channel or 0 for any, number): the lookup is a single hash of an Int.
    private static func key(_ kind: Kind, _ channel: Int, _ number: Int) -> Int { (kind.rawValue * 17 + channel) * 256 + number }

    private func rebuild() {
        midiTable = [:]; oscTable = [:]
        msb = [Int](repeating: -1, count: 16 * 32)
        bounds = mapping.entries.map { $0.bounds(in: store.registry) }
        wholeSteps = mapping.entries.map { entry in
            guard case .parameter(let i) = entry.target else { return true }
            return store.registry[i].kind != .continuous
        }
        for (e, entry) in mapping.entries.enumerated() {
            switch entry.control {
            case .cc(let c, let n): midiTable[Self.key(.cc, c ?? 0, n), default: []].append(e)
            case .cc14(let c, let n): midiTable[Self.key(.cc14, c ?? 0, n), default: []].append(e)
            case .note(let c, let n): midiTable[Self.key(.note, c ?? 0, n), default: []].append(e)
            case .pitchBend(let c): midiTable[Self.key(.pitchBend, c ?? 0, 0), default: []].append(e)
            case .program(let c, let n): midiTable[Self.key(.program, c ?? 0, n ?? Self.anyProgram), default: []].append(e)
            case .osc(let address, _): oscTable[address, default: []].append(e)
            }
        }
    }

    /// Entries bound to this exact channel, then those bound to any channel.
    private func each(_ kind: Kind, _ channel: Int, _ number: Int, _ body: (Int) -> Void) {
        if let list = midiTable[Self.key(kind, channel, number)] { list.forEach(body) }
        if let list = midiTable[Self.key(kind, 0, number)] { list.forEach(body) }
    }

    /// Applies one MIDI message; returns the indices of the parameters it set (empty if nothing matched).
    @discardableResult
    public func handle(_ message: MIDIMessage) -> [Int] {
        let channel = message.channel
        guard (1...16).contains(channel) else { return [] }
        var set: [Int] = []
        switch message {
        case .controlChange(_, let cc, let raw):
            guard (0...127).contains(cc) else { return [] }
            let v = min(127, max(0, raw))
            each(.cc, channel, cc) { apply($0, x: Double(v) / 127, pressed: v >= 64, steps: Self.steps(v), into: &set) }
            if cc < 32 {
                msb[(channel - 1) * 32 + cc] = v
                each(.cc14, channel, cc) { apply($0, x: Double(v << 7) / 16383, pressed: v >= 64, steps: 0, into: &set) }
            } else if cc < 64 {
                let m = msb[(channel - 1) * 32 + cc - 32]
                if m >= 0 { each(.cc14, channel, cc - 32) { apply($0, x: Double(m << 7 | v) / 16383, pressed: m >= 64, steps: 0, into: &set) } }
            }
        case .noteOn(_, let note, let velocity):
            each(.note, channel, note) { apply($0, x: Double(velocity) / 127, pressed: true, steps: 0, into: &set) }
        case .noteOff(_, let note, _):
            each(.note, channel, note) { apply($0, x: 0, pressed: false, steps: 0, into: &set) }
        case .pitchBend(_, let raw):
            let v = min(16383, max(0, raw))
            each(.pitchBend, channel, 0) { apply($0, x: Double(v) / 16383, pressed: v >= 8192, steps: 0, into: &set) }
        case .programChange(_, let program):
            var matched = false
            each(.program, channel, program) { _ in matched = true }
            each(.program, channel, Self.anyProgram) { _ in matched = true }
            if matched { onProgram(program + 1) }   // once, even if two entries match
        }
        return set
    }

    /// Applies an OSC value (a controller position in 0…1 for absolute entries; ≥ 0.5 is a press for
    /// the others) to the entries on this address that read the first argument. Returns the
    /// parameter set first, or nil.
    @discardableResult
    public func handle(osc address: String, value: Double) -> Int? {
        handle(osc: address, arguments: [value]).first
    }

    /// The same with every argument of the message (an XY pad sends two; `arg:` picks one).
    @discardableResult
    public func handle(osc address: String, arguments: [Double]) -> [Int] {
        guard let list = oscTable[address] else { return [] }
        var set: [Int] = []
        for e in list {
            guard case .osc(_, let argument) = mapping.entries[e].control, argument < arguments.count else { continue }
            let v = arguments[argument]
            guard v.isFinite else { continue }   // NaN/inf never reach the store
            apply(e, x: v, pressed: v >= 0.5, steps: 0, into: &set)
        }
        return set
    }

    /// Two's-complement relative encoding: 1…63 up, 65…127 down, 0 and 64 no move.
    static func steps(_ v: Int) -> Int {
        switch v {
        case 1...63: v
        case 65...127: v - 128
        default: 0
        }
    }

    private func apply(_ e: Int, x: Double, pressed: Bool, steps: Int, into set: inout [Int]) {
        let entry = mapping.entries[e]
        guard case .parameter(let i) = entry.target else { return }
        let lo = bounds[e].lowerBound, hi = bounds[e].upperBound
        let value: Double
        switch entry.mode {
        case .absolute:
            var y = entry.curve.apply(min(1, max(0, x)))
            if entry.invert { y = 1 - y }
            value = lo + y * (hi - lo)
        case .relative:
            guard steps != 0 else { return }
            let step = wholeSteps[e] ? 1 : (hi - lo) / 127
            value = min(hi, max(lo, store.value(i) + Double(entry.invert ? -steps : steps) * step))
        case .toggle:
            guard pressed else { return }
            let current = store.value(i)
            value = abs(current - hi) <= abs(current - lo) ? lo : hi
        case .momentary:
            value = pressed != entry.invert ? hi : lo
        case .trigger:
            guard pressed else { return }
            value = 1
        }
        if store.set(i, value) != nil { set.append(i) }
    }
}
