import CLiblo

/// One OSC argument after liblo has parsed it, in the types the engine accepts.
public enum OSCValue: Equatable, Sendable {
    case number(Double)
    case text(String)
    case bool(Bool)
    /// Anything else (blobs, MIDI, timetags, nil …): counted as a wrong type where a value is needed.
    case other(Character)

    /// The value as a number: numbers and booleans; a text only as a choice's option name (`choices`).
    public func number(choices: [String] = []) -> Double? {
        switch self {
        case .number(let v): v
        case .bool(let b): b ? 1 : 0
        case .text(let s): choices.firstIndex(of: s).map(Double.init)
        case .other: nil
        }
    }

    public var text: String? { if case .text(let s) = self { s } else { nil } }
}

/// liblo messages are built in one place, for the server's replies and feedback and for the client.
enum OSCMessage {
    /// A new liblo message holding `values` (the caller frees it with `lo_message_free`).
    static func make(_ values: [OSCValue]) -> lo_message? {
        guard let message = lo_message_new() else { return nil }
        for v in values {
            switch v {
            case .number(let d): lo_message_add_float(message, Float(d))
            case .text(let s): lo_message_add_string(message, s)
            case .bool(let b): if b { lo_message_add_true(message) } else { lo_message_add_false(message) }
            case .other: break
            }
        }
        return message
    }
}

/// Preset names come from the network: names, never paths.
public enum PresetName {
    /// nil when `name` is acceptable: 1–64 characters of letters, digits, space, `-`, `_`, `.`, not
    /// starting with a dot (no `..`, no `/`, no hidden files).
    public static func problem(_ name: String) -> String? {
        if name.isEmpty { return "a preset name cannot be empty" }
        if name.count > 64 { return "a preset name has at most 64 characters" }
        if name.hasPrefix(".") || name.contains("..") { return "a preset name cannot start with a dot or contain '..'" }
        let allowed = name.unicodeScalars.allSatisfy { c in
            (c.properties.isAlphabetic || ("0"..."9").contains(c) || c == " " || c == "-" || c == "_" || c == ".") && c != "/" && c != "\\"
        }
        return allowed ? nil : "a preset name is a name, not a path: letters, digits, space, '-', '_' and '.' only"
    }
}
