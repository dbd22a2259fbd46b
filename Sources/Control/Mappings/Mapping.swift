import Foundation
import Yams

/// A loading error that points at the spot to fix: "FILE:LINE: FIELD: what is wrong" (spec
/// "Mappings": errors name the file, line and field). Line 0 means the file itself (unreadable).
public struct MappingError: Error, CustomStringConvertible, Equatable, Sendable {
    public let file: String
    public let line: Int
    public let field: String
    public let message: String

    public init(file: String, line: Int, field: String, _ message: String) {
        self.file = file; self.line = line; self.field = field; self.message = message
    }

    public var description: String {
        line > 0 ? "\(file):\(line): \(field): \(message)" : "\(file): \(field): \(message)"
    }
}

/// One controller layout: which MIDI control or OSC address drives which parameter, and how. Read
/// from a human-edited YAML file in `Mappings/` (format in Docs, and in the shipped files' comments).
public struct Mapping: Sendable {
    public var name: String
    public var entries: [Entry]
    /// Entries marked `optional: true` whose parameter this engine does not have (feature weights
    /// and noise sigmas depend on the model and envelope network): left out, each with its
    /// "FILE:LINE: param: …" note for the log.
    public var skipped: [MappingError]

    public init(name: String, entries: [Entry], skipped: [MappingError] = []) {
        self.name = name
        self.entries = entries
        self.skipped = skipped
    }

    /// What moves: a MIDI control (channel nil = any channel) or an OSC address.
    public enum Control: Hashable, Sendable {
        case cc(channel: Int?, controller: Int)
        /// A 14-bit pair: MSB on `controller` (0–31), LSB on `controller + 32`.
        case cc14(channel: Int?, controller: Int)
        case note(channel: Int?, note: Int)
        case pitchBend(channel: Int?)
        /// Program change `number`, or any program (nil).
        case program(channel: Int?, number: Int?)
        /// An OSC address; `argument` picks which argument (0 = first; 1 = y of an XY pad).
        case osc(address: String, argument: Int)

        /// Whether a message from one could also be a message from the other: the test MIDI learn
        /// uses to replace an existing binding. Channel nil overlaps every channel; a 14-bit pair
        /// overlaps the plain CC on its MSB or LSB number.
        public func overlaps(_ other: Control) -> Bool {
            func sameChannel(_ a: Int?, _ b: Int?) -> Bool { a == nil || b == nil || a == b }
            switch (self, other) {
            case let (.cc(a, x), .cc(b, y)), let (.cc14(a, x), .cc14(b, y)), let (.note(a, x), .note(b, y)):
                return sameChannel(a, b) && x == y
            case let (.cc(a, x), .cc14(b, y)), let (.cc14(b, y), .cc(a, x)):
                return sameChannel(a, b) && (x == y || x == y + 32)
            case let (.pitchBend(a), .pitchBend(b)):
                return sameChannel(a, b)
            case let (.program(a, x), .program(b, y)):
                return sameChannel(a, b) && (x == nil || y == nil || x == y)
            case let (.osc(x, i), .osc(y, j)):
                return x == y && i == j
            default:
                return false
            }
        }

        var isMIDI: Bool { if case .osc = self { false } else { true } }
    }

    /// What it drives: a parameter (registry index), or preset recall (program change N recalls
    /// preset slot N+1, through the router's `onProgram`).
    public enum Target: Hashable, Sendable {
        case parameter(Int)
        case preset
    }

    /// The shape between controller position x (0…1) and the parameter: k = 4 makes the
    /// exponential curve spend the first half of the travel on the bottom ~12 % of the range.
    public enum Curve: String, Sendable, CaseIterable {
        /// y = x
        case linear
        /// y = (e^(kx) − 1) / (e^k − 1): fine control at the low end (gains, sigmas).
        case exponential
        /// y = ln(1 + x (e^k − 1)) / k: the inverse, fine control at the high end.
        case log

        public static let k = 4.0

        public func apply(_ x: Double) -> Double {
            switch self {
            case .linear: x
            case .exponential: (Foundation.exp(Curve.k * x) - 1) / (Foundation.exp(Curve.k) - 1)
            case .log: Foundation.log(1 + x * (Foundation.exp(Curve.k) - 1)) / Curve.k
            }
        }
    }

    /// How controller events become values (see MappingRouter for the exact rules).
    public enum Mode: String, Sendable, CaseIterable {
        /// The controller position is the value (faders, knobs, pitch bend, tablet faders).
        case absolute
        /// Endless encoder: CC 1…63 step up, 65…127 step down (two's complement).
        case relative
        /// Press flips between the range's ends; release ignored.
        case toggle
        /// Press: range high; release: range low.
        case momentary
        /// Press fires the parameter once.
        case trigger

        /// The mode an entry gets when its file (or MIDI learn) does not say: triggers fire, notes on
        /// toggles flip, other notes are held, and anything with a position is absolute.
        public static func `default`(for control: Control, parameter: Parameter?) -> Mode {
            guard let parameter else { return .trigger }            // preset recall: a press
            if parameter.kind == .trigger { return .trigger }
            if case .note = control { return parameter.kind == .toggle ? .toggle : .momentary }
            return .absolute
        }

        /// Which modes make sense for a kind of control.
        func fits(_ control: Control) -> Bool {
            switch control {
            case .cc: true
            case .cc14, .pitchBend: self == .absolute
            case .note: self == .toggle || self == .momentary || self == .trigger
            case .osc: self != .relative
            case .program: self == .trigger
            }
        }
    }

    public struct Entry: Sendable, CustomStringConvertible {
        public var control: Control
        public var target: Target
        /// Lowest and highest value the control reaches; nil = the parameter's whole range.
        public var range: ClosedRange<Double>?
        public var curve: Curve
        public var invert: Bool
        public var mode: Mode
        /// Send the parameter's value back to this control (`midi_out`): its LED, motorised fader or
        /// encoder ring (`feedback: true` in the file).
        public var feedback = false
        /// Where the entry starts in its file (0 when made in code, e.g. by MIDI learn).
        public var line: Int
        /// Its last line (MIDI learn rewrites exactly these lines when replacing a binding).
        var lastLine: Int

        public init(control: Control, target: Target, range: ClosedRange<Double>? = nil, curve: Curve = .linear,
                    invert: Bool = false, mode: Mode, line: Int = 0) {
            self.control = control; self.target = target; self.range = range; self.curve = curve
            self.invert = invert; self.mode = mode; self.line = line; lastLine = line
        }

        /// The range actually used: the entry's, or the parameter's.
        public func bounds(in registry: ParameterRegistry) -> ClosedRange<Double> {
            if let range { return range }
            guard case .parameter(let i) = target else { return 0...1 }
            return registry[i].minimum...registry[i].maximum
        }

        /// The same binding (control, target, shaping), wherever it came from (lines are ignored).
        public func sameBinding(as other: Entry) -> Bool {
            control == other.control && target == other.target && range == other.range && curve == other.curve
                && invert == other.invert && mode == other.mode
        }

        public var description: String { "\(control) → \(target) (\(mode.rawValue))" }
    }

    // MARK: Loading

    public static func load(path: String, registry: ParameterRegistry) throws -> Mapping {
        let file = (path as NSString).lastPathComponent
        guard let data = FileManager.default.contents(atPath: path) else {
            throw MappingError(file: file, line: 0, field: "file", "cannot read \(path)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw MappingError(file: file, line: 0, field: "file", "not UTF-8 text")
        }
        return try load(yaml: text, name: file, registry: registry)
    }

    /// `name` is the file name used in error messages.
    public static func load(yaml: String, name: String, registry: ParameterRegistry) throws -> Mapping {
        try MappingParser(file: name, registry: registry).parse(yaml)
    }
}

/// The YAML reader: walks Yams' node tree (which keeps line numbers, unlike decoding) and checks
/// every field, so that a typo in a mapping file is reported at its line instead of being ignored.
struct MappingParser {
    let file: String
    let registry: ParameterRegistry

    func fail(_ node: Node?, _ field: String, _ message: String) -> MappingError {
        MappingError(file: file, line: node?.mark?.line ?? 1, field: field, message)
    }

    func fail(line: Int, _ field: String, _ message: String) -> MappingError {
        MappingError(file: file, line: line, field: field, message)
    }

    /// The root node, or the YAML syntax error at its line.
    func compose(_ text: String) throws -> Node {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw syntaxError(error)
        }
        guard let root else { throw fail(line: 1, "file", "empty mapping file (expected `name:` and `controls:`)") }
        if case .scalar(let s) = root, s.string.isEmpty { throw fail(line: 1, "file", "empty mapping file (expected `name:` and `controls:`)") }
        return root
    }

    func syntaxError(_ error: YamlError) -> MappingError {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return fail(line: mark.line, "yaml", "not valid YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            // Yams points at the first occurrence; the one to delete is usually the second, at the
            // same indentation further down.
            let key = duplicates.first ?? "yaml"
            let lines = context.text.components(separatedBy: "\n")
            let indent = context.mark.column - 1
            // Yams counts a lone "\r" as a line break too, so its line can lie past the "\n"-split lines
            // (an empty range then, not a trap: found by fuzzing).
            for n in min(context.mark.line, lines.count)..<lines.count {
                let line = lines[n].unicodeScalars
                guard line.count > indent, line.prefix(indent).allSatisfy({ $0 == " " }) else { continue }
                if String(String.UnicodeScalarView(line.dropFirst(indent))).hasPrefix(key + ":") {
                    return fail(line: n + 1, key, "key given twice (first on line \(context.mark.line))")
                }
            }
            return fail(line: context.mark.line, key, "key given twice")
        default:
            return fail(line: 1, "yaml", "not valid YAML: \(error)")
        }
    }

    func parse(_ text: String) throws -> Mapping {
        let root = try compose(text)
        guard let top = root.mapping else { throw fail(root, "file", "expected `name:` and `controls:` at the top level") }
        try checkKeys(top, allowed: ["name", "controls"])
        guard let nameNode = top["name"] else { throw fail(line: root.mark?.line ?? 1, "name", "missing (a title for the controller or layout)") }
        guard let name = nameNode.scalar?.string, !name.isEmpty else { throw fail(nameNode, "name", "must be a text") }
        guard let controls = top["controls"] else { throw fail(line: root.mark?.line ?? 1, "controls", "missing (the list of entries)") }
        var entries: [Entry] = []
        var skipped: [MappingError] = []
        if let list = controls.sequence {
            for node in list {
                do {
                    if let e = try entry(node) { entries.append(e) }
                } catch let note as Skipped {
                    skipped.append(note.error)
                }
            }
        } else if !(controls.scalar.map { $0.string.isEmpty || $0.string == "~" || $0.string == "null" } ?? false) {
            throw fail(controls, "controls", "must be a list of entries (`- midi: …` or `- osc: …`)")
        }
        return Mapping(name: name, entries: entries, skipped: skipped)
    }

    /// Thrown for an optional entry whose parameter does not exist here: not an error.
    struct Skipped: Error { let error: MappingError }

    typealias Entry = Mapping.Entry

    func checkKeys(_ map: Node.Mapping, allowed: [String]) throws {
        for (key, _) in map {
            guard let k = key.scalar?.string, allowed.contains(k) else {
                let k = key.scalar?.string ?? "?"
                throw fail(key, k, "unknown key (expected one of: \(allowed.joined(separator: ", ")))")
            }
        }
    }

    func entry(_ node: Node) throws -> Entry? {
        guard let map = node.mapping else { throw fail(node, "controls", "each entry must be a mapping with `midi:` or `osc:` and `param:`") }
        try checkKeys(map, allowed: ["midi", "osc", "arg", "param", "range", "curve", "invert", "mode", "optional", "feedback"])
        let line = node.mark?.line ?? 1

        // What moves.
        let control: Mapping.Control
        switch (map["midi"], map["osc"]) {
        case (nil, nil): throw fail(line: line, "midi", "missing: each entry needs `midi:` or `osc:`")
        case (.some, .some): throw fail(map["osc"], "osc", "an entry has either `midi:` or `osc:`, not both")
        case (let midi?, nil):
            if let arg = map["arg"] { throw fail(arg, "arg", "only OSC entries take an argument number") }
            control = try midiControl(midi)
        case (nil, let osc?):
            guard let address = osc.scalar?.string, address.hasPrefix("/"), !address.contains(" ") else {
                throw fail(osc, "osc", "must be an OSC address starting with /")
            }
            var argument = 0
            if let a = map["arg"] { argument = try int(a, "arg", 0...15) }
            control = .osc(address: address, argument: argument)
        }

        var optional = false
        if let o = map["optional"] {
            guard let b = bool(o) else { throw fail(o, "optional", "must be true or false") }
            optional = b
        }

        // What it drives.
        guard let paramNode = map["param"] else { throw fail(line: line, "param", "missing: which parameter this control drives") }
        guard let paramName = paramNode.scalar?.string, !paramName.isEmpty else { throw fail(paramNode, "param", "must be a parameter name") }
        let target: Mapping.Target
        var parameter: Parameter?
        if paramName == "preset" {
            guard case .program = control else { throw fail(paramNode, "param", "`preset` (recall by program change) needs `midi: {program: any}`") }
            target = .preset
        } else if let i = registry.index(of: paramName) {
            if case .program = control { throw fail(paramNode, "param", "a program change recalls presets: use `param: preset`") }
            target = .parameter(i); parameter = registry[i]
        } else if optional {
            throw Skipped(error: fail(paramNode, "param", "no parameter '\(paramName)' in this engine; optional entry skipped"))
        } else {
            throw fail(paramNode, "param", "unknown parameter '\(paramName)'" + suggestion(for: paramName))
        }

        // How.
        var mode = Mapping.Mode.default(for: control, parameter: parameter)
        if let m = map["mode"] {
            guard let s = m.scalar?.string, let given = Mapping.Mode(rawValue: s) else {
                throw fail(m, "mode", "must be one of: \(Mapping.Mode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard given.fits(control) else { throw fail(m, "mode", "\(s) does not work with \(kindName(control)) (\(modesFor(control)))") }
            if let parameter, (given == .trigger) != (parameter.kind == .trigger) {
                throw fail(m, "mode", parameter.kind == .trigger
                    ? "\(parameter.name) is a trigger: use mode trigger (or leave mode out)"
                    : "trigger is for trigger parameters; \(parameter.name) is not one: use momentary or toggle")
            }
            mode = given
        } else if !mode.fits(control) {
            throw fail(line: line, "mode", "\(parameter?.name ?? "this") is a trigger; \(kindName(control)) cannot fire it (use a cc, note or osc)")
        }

        var range: ClosedRange<Double>?
        if let r = map["range"] {
            guard let parameter else { throw fail(r, "range", "preset recall has no range") }
            guard parameter.kind != .trigger else { throw fail(r, "range", "\(parameter.name) is a trigger: it has no range") }
            guard let items = r.sequence, items.count == 2,
                  let lo = items.first?.scalar.flatMap({ Double($0.string) }), let hi = items.last?.scalar.flatMap({ Double($0.string) }),
                  lo.isFinite, hi.isFinite
            else { throw fail(r, "range", "must be two numbers, [low, high]") }
            guard lo < hi else { throw fail(r, "range", "low must be below high (use `invert: true` to reverse the direction)") }
            let tolerance = 1e-9 * max(1, abs(parameter.maximum - parameter.minimum))
            guard lo >= parameter.minimum - tolerance, hi <= parameter.maximum + tolerance else {
                throw fail(r, "range", "[\(fmt(lo)), \(fmt(hi))] is outside \(parameter.name)'s range [\(fmt(parameter.minimum)), \(fmt(parameter.maximum))]")
            }
            range = lo...hi
        }

        var curve = Mapping.Curve.linear
        if let c = map["curve"] {
            guard let s = c.scalar?.string, let given = Mapping.Curve(rawValue: s) else {
                throw fail(c, "curve", "must be one of: linear, exponential, log")
            }
            guard mode == .absolute || given == .linear else { throw fail(c, "curve", "only absolute mode has a curve (this entry is \(mode.rawValue))") }
            curve = given
        }

        var invert = false
        if let v = map["invert"] {
            guard let b = bool(v) else { throw fail(v, "invert", "must be true or false") }
            invert = b
        }

        var entry = Entry(control: control, target: target, range: range, curve: curve, invert: invert, mode: mode, line: line)
        entry.lastLine = lastLine(node)
        if let f = map["feedback"] {
            guard let b = bool(f) else { throw fail(f, "feedback", "must be true or false") }
            if b {
                guard control.isMIDI else { throw fail(f, "feedback", "OSC tablets get feedback by subscribing (/lvj/subscribe), not from the mapping") }
                guard let parameter, parameter.kind != .trigger else { throw fail(f, "feedback", "\(parameter?.name ?? "preset recall") has no value to send back") }
            }
            entry.feedback = b
        }
        return entry
    }

    func midiControl(_ node: Node) throws -> Mapping.Control {
        guard let map = node.mapping else { throw fail(node, "midi", "must be a mapping such as {channel: 1, cc: 7}") }
        try checkKeys(map, allowed: ["channel", "cc", "cc14", "note", "program", "pitchbend"])
        var channel: Int?
        if let c = map["channel"] { channel = try int(c, "channel", 1...16) }
        let kinds = ["cc", "cc14", "note", "program", "pitchbend"].filter { map[$0] != nil }
        guard kinds.count == 1, let kind = kinds.first, let value = map[kind] else {
            throw fail(node, "midi", kinds.isEmpty ? "needs one of cc, cc14, note, program, pitchbend" : "has both \(kinds[0]) and \(kinds[1]); one control per entry")
        }
        switch kind {
        case "cc": return .cc(channel: channel, controller: try int(value, "cc", 0...127))
        case "cc14": return .cc14(channel: channel, controller: try int(value, "cc14", 0...31, extra: " (the MSB controller; its LSB is that + 32)"))
        case "note": return .note(channel: channel, note: try int(value, "note", 0...127))
        case "program":
            if value.scalar?.string == "any" { return .program(channel: channel, number: nil) }
            return .program(channel: channel, number: try int(value, "program", 0...127, extra: " or `any`"))
        default:
            guard bool(value) == true else { throw fail(value, "pitchbend", "must be true") }
            return .pitchBend(channel: channel)
        }
    }

    func int(_ node: Node, _ field: String, _ range: ClosedRange<Int>, extra: String = "") throws -> Int {
        guard let s = node.scalar?.string, let v = Int(s), range.contains(v) else {
            throw fail(node, field, "must be \(range.lowerBound)–\(range.upperBound)\(extra)")
        }
        return v
    }

    func bool(_ node: Node) -> Bool? {
        switch node.scalar?.string {
        case "true", "True", "yes", "on": true
        case "false", "False", "no", "off": false
        default: nil
        }
    }

    /// The last line any part of the node is on.
    func lastLine(_ node: Node) -> Int {
        var last = node.mark?.line ?? 0
        if let m = node.mapping { for (k, v) in m { last = max(last, lastLine(k), lastLine(v)) } }
        if let s = node.sequence { for v in s { last = max(last, lastLine(v)) } }
        return last
    }

    func kindName(_ control: Mapping.Control) -> String {
        switch control {
        case .cc: "a cc"
        case .cc14: "a 14-bit cc"
        case .note: "a note"
        case .pitchBend: "pitch bend"
        case .program: "a program change"
        case .osc: "an OSC address"
        }
    }

    func modesFor(_ control: Mapping.Control) -> String {
        "it takes " + Mapping.Mode.allCases.filter { $0.fits(control) }.map(\.rawValue).joined(separator: ", ")
    }

    /// " (did you mean deep.amplitude?)" for a name a few edits away from a real one.
    func suggestion(for name: String) -> String {
        let names = registry.parameters.map(\.name) + ["preset"]
        let scored = names.map { ($0, editDistance(name, $0)) }.min { $0.1 < $1.1 }
        guard let (best, d) = scored, d <= max(2, name.count / 3) else { return " (see `latentvj params` for the list)" }
        return " (did you mean \(best)?)"
    }

    func fmt(_ v: Double) -> String { v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(v) }
}

/// Levenshtein distance (names are short; quadratic is fine).
private func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    var row = Array(0...b.count)
    for i in 1...a.count {
        var previous = row[0]
        row[0] = i
        for j in stride(from: 1, through: b.count, by: 1) {
            let keep = row[j]
            row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
            previous = keep
        }
    }
    return row[b.count]
}

extension Mapping.Control: CustomStringConvertible {
    /// How a VJ names the control: "CC 21 (channel 1)", "note 60", "OSC /1/fader1".
    public var description: String {
        func on(_ channel: Int?) -> String { channel.map { " (channel \($0))" } ?? "" }
        switch self {
        case .cc(let c, let n): return "CC \(n)\(on(c))"
        case .cc14(let c, let n): return "14-bit CC \(n)/\(n + 32)\(on(c))"
        case .note(let c, let n): return "note \(n)\(on(c))"
        case .pitchBend(let c): return "pitch bend\(on(c))"
        case .program(let c, let n): return "program change \(n.map(String.init) ?? "any")\(on(c))"
        case .osc(let address, let argument): return "OSC \(address)\(argument > 0 ? " argument \(argument)" : "")"
        }
    }
}
