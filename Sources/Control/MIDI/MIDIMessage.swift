/// One channel-voice MIDI message, as the mapping layer sees it (spec "MIDI"): what the JACK MIDI port
/// and the ALSA sequencer deliver, decoded once. Channels are 1–16 (as people count them, and as
/// mapping files write them); data values are 0–127, pitch bend 0–16383 with its centre at 8192.
///
/// Everything else a wire can carry (system messages, clock, sysex, aftertouch) is not a control
/// the engine maps, so decoding returns nil for it rather than a case every switch must ignore.
public enum MIDIMessage: Equatable, Sendable {
    case noteOn(channel: Int, note: Int, velocity: Int)
    case noteOff(channel: Int, note: Int, velocity: Int)
    case controlChange(channel: Int, controller: Int, value: Int)
    case programChange(channel: Int, program: Int)
    /// 14-bit value, 0…16383; 8192 is the spring-loaded centre.
    case pitchBend(channel: Int, value: Int)

    public static let pitchBendCentre = 8192

    /// Decodes one complete message (status byte first, no running status: JACK and ALSA both hand
    /// over whole messages). nil for anything that is not a well-formed channel-voice message this
    /// layer maps. Never traps, whatever the bytes.
    public init?(bytes: [UInt8]) {
        guard let status = bytes.first else { return nil }
        let data1 = bytes.count > 1 ? bytes[1] : 0
        let data2 = bytes.count > 2 ? bytes[2] : 0
        self.init(status: status, data1: data1, data2: data2, size: bytes.count)
    }

    /// The same from a status byte, two data bytes and the message's length in bytes (2 for program
    /// change, 3 for the others; a data byte beyond `size` is ignored).
    public init?(status: UInt8, data1: UInt8, data2: UInt8, size: Int) {
        // System messages (0xF0…) and stray data bytes (< 0x80) are not channel messages.
        guard status >= 0x80, status < 0xF0 else { return nil }
        let kind = status >> 4
        let channel = Int(status & 0x0F) + 1
        let expected = (kind == 0xC || kind == 0xD) ? 2 : 3
        // A data byte with the top bit set would be a status byte: the message is truncated or corrupt.
        guard size == expected, data1 < 0x80, expected == 2 || data2 < 0x80 else { return nil }
        let a = Int(data1), b = Int(data2)
        switch kind {
        case 0x8: self = .noteOff(channel: channel, note: a, velocity: b)
        // Velocity 0 is how most keyboards (running status) send note off.
        case 0x9: self = b == 0 ? .noteOff(channel: channel, note: a, velocity: 0) : .noteOn(channel: channel, note: a, velocity: b)
        case 0xB: self = .controlChange(channel: channel, controller: a, value: b)
        case 0xC: self = .programChange(channel: channel, program: a)
        case 0xE: self = .pitchBend(channel: channel, value: a | (b << 7))   // LSB first on the wire
        default: return nil   // 0xA polyphonic and 0xD channel aftertouch: not mapped
        }
    }

    public var channel: Int {
        switch self {
        case .noteOn(let c, _, _), .noteOff(let c, _, _), .controlChange(let c, _, _), .programChange(let c, _), .pitchBend(let c, _): c
        }
    }

    /// The wire encoding (for tests, and for sending feedback to controllers). Out-of-range fields
    /// are masked to their bit width rather than trapping.
    public var bytes: [UInt8] {
        func status(_ kind: UInt8, _ channel: Int) -> UInt8 { kind << 4 | UInt8(truncatingIfNeeded: (channel - 1) & 0x0F) }
        func data(_ v: Int) -> UInt8 { UInt8(truncatingIfNeeded: v & 0x7F) }
        switch self {
        case .noteOff(let c, let n, let v): return [status(0x8, c), data(n), data(v)]
        case .noteOn(let c, let n, let v): return [status(0x9, c), data(n), data(v)]
        case .controlChange(let c, let n, let v): return [status(0xB, c), data(n), data(v)]
        case .programChange(let c, let p): return [status(0xC, c), data(p)]
        case .pitchBend(let c, let v): return [status(0xE, c), data(v), data(v >> 7)]
        }
    }
}

extension MIDIMessage: CustomStringConvertible {
    /// Short form for logs and the HUD ("ch1 cc7=100").
    public var description: String {
        switch self {
        case .noteOn(let c, let n, let v): "ch\(c) note\(n) on \(v)"
        case .noteOff(let c, let n, _): "ch\(c) note\(n) off"
        case .controlChange(let c, let n, let v): "ch\(c) cc\(n)=\(v)"
        case .programChange(let c, let p): "ch\(c) program \(p)"
        case .pitchBend(let c, let v): "ch\(c) pitchbend \(v)"
        }
    }
}

extension MIDIMessage {
    /// The mapping control this message moves (nil for a program change, which recalls presets).
    public var control: Mapping.Control? {
        switch self {
        case .controlChange(let c, let n, _): .cc(channel: c, controller: n)
        case .noteOn(let c, let n, _), .noteOff(let c, let n, _): .note(channel: c, note: n)
        case .pitchBend(let c, _): .pitchBend(channel: c)
        case .programChange: nil
        }
    }
}
