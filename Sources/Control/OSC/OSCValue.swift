import CLiblo

/// One OSC argument after liblo has parsed it, in the types the engine accepts.
public enum OSCValue: Equatable, Sendable {
    case number(Double)
    /// Sent as a 64-bit double ('d') rather than a float: times on a clock that has run for hours
    /// (a float holds them to milliseconds only). Received doubles read as `number`.
    case double(Double)
    /// Sent as a 32-bit integer ('i'), for a method whose type says so (OSCQuery's LISTEN). Received
    /// integers read as `number`.
    case int(Int32)
    case text(String)
    case bool(Bool)
    /// Anything else (blobs, MIDI, timetags, nil …): counted as a wrong type where a value is needed.
    case other(Character)

    /// The value as a number: numbers and booleans; a text only as a choice's option name (`choices`).
    public func number(choices: [String] = []) -> Double? {
        switch self {
        case .number(let v), .double(let v): v
        case .int(let i): Double(i)
        case .bool(let b): b ? 1 : 0
        case .text(let s): choices.firstIndex(of: s).map(Double.init)
        case .other: nil
        }
    }

    public var text: String? { if case .text(let s) = self { s } else { nil } }
}

/// liblo messages are built and read in one place, for the server, its replies and feedback, the
/// client and the listener.
enum OSCMessage {
    /// The arguments of a message as liblo hands them to a method handler.
    static func arguments(types: UnsafePointer<CChar>?, argv: UnsafeMutablePointer<UnsafeMutablePointer<lo_arg>?>?, count: Int32) -> [OSCValue] {
        guard let types, let argv else { return [] }
        var arguments: [OSCValue] = []
        for i in 0..<Int(count) {
            guard let arg = argv[i] else { continue }
            let tag = UInt8(bitPattern: types[i])
            // Only the argument's own bytes are read: `arg.pointee` would load the whole lo_arg union,
            // past the end of a message whose last argument is a 4-byte one (found by fuzzing).
            let raw = UnsafeRawPointer(arg)
            switch tag {
            case UInt8(ascii: "f"): arguments.append(.number(Double(raw.loadUnaligned(as: Float.self))))
            case UInt8(ascii: "d"): arguments.append(.number(raw.loadUnaligned(as: Double.self)))
            case UInt8(ascii: "i"): arguments.append(.number(Double(raw.loadUnaligned(as: Int32.self))))
            case UInt8(ascii: "h"): arguments.append(.number(Double(raw.loadUnaligned(as: Int64.self))))
            case UInt8(ascii: "T"): arguments.append(.bool(true))
            case UInt8(ascii: "F"): arguments.append(.bool(false))
            case UInt8(ascii: "s"), UInt8(ascii: "S"):
                arguments.append(.text(UnsafeRawPointer(arg).withMemoryRebound(to: CChar.self, capacity: 1) { String(cString: $0) }))
            default: arguments.append(.other(Character(UnicodeScalar(tag))))
            }
        }
        return arguments
    }

    /// A datagram's path and arguments, or nil when liblo cannot read it as one OSC message.
    static func parse(_ bytes: UnsafeRawBufferPointer) -> (String, [OSCValue])? {
        guard let base = bytes.baseAddress, bytes.count >= 4, bytes.count <= 1 << 16 else { return nil }
        // liblo reads the bytes in place; a copy keeps the caller's buffer its own.
        let copy = UnsafeMutableRawPointer.allocate(byteCount: bytes.count, alignment: 8)
        defer { copy.deallocate() }
        copy.copyMemory(from: base, byteCount: bytes.count)
        var result: Int32 = 0
        guard let message = lo_message_deserialise(copy, bytes.count, &result) else { return nil }
        defer { lo_message_free(message) }
        guard result == 0, let path = lo_get_path(copy, bytes.count) else { return nil }
        let arguments = arguments(types: lo_message_get_types(message), argv: lo_message_get_argv(message), count: lo_message_get_argc(message))
        return (String(cString: path), arguments)
    }

    /// A new liblo message holding `values` (the caller frees it with `lo_message_free`).
    static func make(_ values: [OSCValue]) -> lo_message? {
        guard let message = lo_message_new() else { return nil }
        for v in values {
            switch v {
            case .number(let d): lo_message_add_float(message, Float(d))
            case .double(let d): lo_message_add_double(message, d)
            case .int(let i): lo_message_add_int32(message, i)
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

/// One OSC message as the bytes of a datagram, for transports that are not liblo's (OSCQuery's LISTEN
/// streams them over WebSocket). nil when liblo cannot build it.
public func oscDatagram(_ path: String, _ values: [OSCValue]) -> [UInt8]? {
    guard let message = OSCMessage.make(values) else { return nil }
    defer { lo_message_free(message) }
    var size = lo_message_length(message, path)
    guard size > 0 else { return nil }
    var bytes = [UInt8](repeating: 0, count: size)
    let written = bytes.withUnsafeMutableBytes { lo_message_serialise(message, path, $0.baseAddress, &size) }
    return written == nil ? nil : Array(bytes.prefix(size))
}
