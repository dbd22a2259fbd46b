/// One named control of the engine: the single description OSC, MIDI, presets, the HUD and the docs
/// all read (spec "Parameters"). Names are dotted (`deep.amplitude`); over OSC the dots become slashes.
public struct Parameter: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A number in a range; controllers' values are ramped (smoothed) to it.
        case continuous
        /// A whole number in a range (palette numbers, loop bars): applied at once.
        case integer
        /// On or off (0 or 1): applied at once.
        case toggle
        /// A momentary action (reseed, record start): every set fires it once; the value is ignored.
        case trigger
        /// One of named options, stored as its index.
        case choice([String])
    }

    /// What a parameter belongs to, which decides where it travels: a preset stores the scene (how
    /// the picture looks and moves), never the stage (what the VJ does to the output right now: HUD,
    /// fullscreen, freeze, blackout) or the transport (recording).
    public enum Role: String, Sendable, Equatable {
        case scene, stage, transport
    }

    public let name: String
    public let kind: Kind
    public let role: Role
    public let minimum: Double
    public let maximum: Double
    public let defaultValue: Double
    public let unit: String
    public let help: String

    public init(_ name: String, _ kind: Kind, range: ClosedRange<Double> = 0...1, default value: Double, unit: String = "",
                role: Role = .scene, _ help: String) {
        self.name = name
        self.kind = kind
        self.role = role
        switch kind {
        case .toggle, .trigger: minimum = 0; maximum = 1
        case .choice(let options): minimum = 0; maximum = Double(max(0, options.count - 1))
        default: minimum = range.lowerBound; maximum = range.upperBound
        }
        defaultValue = value
        self.unit = unit
        self.help = help
    }

    /// `/lvj/deep/amplitude` for `deep.amplitude`.
    public var oscAddress: String { "/lvj/" + name.split(separator: ".").joined(separator: "/") }

    /// Ramped by controllers, rather than applied at once.
    public var isSmoothed: Bool { kind == .continuous }

    /// The value a controller asked for, made valid: clamped to the range, whole for integer-like kinds.
    /// nil for NaN and infinities (never valid).
    public func clamp(_ value: Double) -> Double? {
        guard value.isFinite else { return nil }
        var v = min(maximum, max(minimum, value))
        switch kind {
        case .integer, .choice: v = v.rounded()
        case .toggle: v = v >= 0.5 ? 1 : 0
        default: break
        }
        return v
    }

    /// OSC type tag of the value (`f`, `i`, or `s` for choices by name).
    public var typeName: String {
        switch kind {
        case .continuous: "float"
        case .integer: "int"
        case .toggle: "toggle"
        case .trigger: "trigger"
        case .choice(let options): "choice(" + options.joined(separator: "|") + ")"
        }
    }

    public var options: [String] { if case .choice(let o) = kind { o } else { [] } }

    /// The value as a person reads it ("on", "gru", "0.75").
    public func describe(_ value: Double) -> String {
        guard value.isFinite, abs(value) < 1e15 else { return "\(value)" }
        switch kind {
        case .toggle: return value >= 0.5 ? "on" : "off"
        case .trigger: return "—"
        case .choice(let o): return o.indices.contains(Int(value)) ? o[Int(value)] : "?"
        case .integer: return String(Int(value))
        case .continuous: return Self.short(value)
        }
    }

    public static func short(_ v: Double) -> String {
        let s = String(format: "%.4g", v)
        return s
    }
}
