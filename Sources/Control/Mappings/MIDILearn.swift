import Foundation
import Yams

/// MIDI learn (spec "MIDI"): arm a parameter, move a control, and that control is bound to it and
/// written into the active mapping file. Used from the one control thread that reads MIDI.
public final class MIDILearn {
    public let registry: ParameterRegistry
    /// The parameter waiting for a control, if any.
    public var armed: Int?

    public init(registry: ParameterRegistry) {
        self.registry = registry
    }

    public func arm(parameter: Int) {
        precondition(parameter >= 0 && parameter < registry.count, "no parameter \(parameter)")
        armed = parameter
    }

    public func cancel() { armed = nil }

    /// When armed, a CC, note on or pitch bend becomes a new entry for the armed parameter (default
    /// mode for its kind) and learn disarms. Anything else (note off, program change, or nothing
    /// armed) returns nil and leaves learn as it was, so releasing the last key does not bind it.
    public func offer(_ message: MIDIMessage) -> Mapping.Entry? {
        guard let index = armed else { return nil }
        let control: Mapping.Control
        switch message {
        case .controlChange(let c, let n, _): control = .cc(channel: c, controller: n)
        case .noteOn(let c, let n, _): control = .note(channel: c, note: n)
        case .pitchBend(let c, _): control = .pitchBend(channel: c)
        case .noteOff, .programChange: return nil
        }
        let parameter = registry[index]
        let mode = Mapping.Mode.default(for: control, parameter: parameter)
        // Pitch bend cannot fire a trigger: keep waiting for a button.
        guard mode.fits(control) else { return nil }
        armed = nil
        return Mapping.Entry(control: control, target: .parameter(index), mode: mode)
    }

    /// Writes `entry` into the mapping file at `path`: appended at the end of its `controls:` list,
    /// or, if entries for the same control exist, written over the first of them (later ones are
    /// removed, so the control drives only what was just learnt). Every other line, comments
    /// included, stays byte for byte. A missing file is created. The result is loaded before it is
    /// written (atomically), so a learn never leaves a file that does not load.
    public static func append(_ entry: Mapping.Entry, registry: ParameterRegistry, toFile path: String) throws {
        let file = (path as NSString).lastPathComponent
        let text: String
        if FileManager.default.fileExists(atPath: path) {
            guard let data = FileManager.default.contents(atPath: path), let existing = String(data: data, encoding: .utf8) else {
                throw MappingError(file: file, line: 0, field: "file", "cannot read \(path)")
            }
            text = try edited(existing, with: entry, file: file, registry: registry)
        } else {
            let title = ((file as NSString).deletingPathExtension)
            text = "name: \(title)\ncontrols:\n" + render(entry, registry: registry, prefix: "  - ").joined(separator: "\n") + "\n"
        }
        let check = try Mapping.load(yaml: text, name: file, registry: registry)
        guard check.entries.contains(where: { $0.sameBinding(as: entry) }) else {
            throw MappingError(file: file, line: 0, field: "controls", "the learnt entry did not survive writing (please report)")
        }
        do {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw MappingError(file: file, line: 0, field: "file", "cannot write \(path): \(error.localizedDescription)")
        }
    }

    /// The entry as YAML lines: the first with `prefix` ("  - "), the rest indented to match.
    static func render(_ entry: Mapping.Entry, registry: ParameterRegistry, prefix: String) -> [String] {
        var fields: [String] = []
        func channel(_ c: Int?) -> String { c.map { "channel: \($0), " } ?? "" }
        switch entry.control {
        case .cc(let c, let n): fields.append("midi: {\(channel(c))cc: \(n)}")
        case .cc14(let c, let n): fields.append("midi: {\(channel(c))cc14: \(n)}")
        case .note(let c, let n): fields.append("midi: {\(channel(c))note: \(n)}")
        case .pitchBend(let c): fields.append("midi: {\(channel(c))pitchbend: true}")
        case .program(let c, let n): fields.append("midi: {\(channel(c))program: \(n.map(String.init) ?? "any")}")
        case .osc(let address, let argument):
            fields.append("osc: \(address)")
            if argument != 0 { fields.append("arg: \(argument)") }
        }
        let parameter: Parameter?
        switch entry.target {
        case .parameter(let i): parameter = registry[i]; fields.append("param: \(registry[i].name)")
        case .preset: parameter = nil; fields.append("param: preset")
        }
        if let r = entry.range { fields.append("range: [\(number(r.lowerBound)), \(number(r.upperBound))]") }
        if entry.curve != .linear { fields.append("curve: \(entry.curve.rawValue)") }
        if entry.invert { fields.append("invert: true") }
        if entry.mode != Mapping.Mode.default(for: entry.control, parameter: parameter) { fields.append("mode: \(entry.mode.rawValue)") }
        let indent = String(repeating: " ", count: prefix.count)
        return fields.enumerated().map { ($0.offset == 0 ? prefix : indent) + $0.element }
    }

    static func number(_ v: Double) -> String { v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(v) }

    /// The file's text with the entry written in. Works on lines, so what is not rewritten is kept.
    static func edited(_ text: String, with entry: Mapping.Entry, file: String, registry: ParameterRegistry) throws -> String {
        let parser = MappingParser(file: file, registry: registry)
        let root = try parser.compose(text)
        guard let top = root.mapping, top.style != .flow else {
            throw MappingError(file: file, line: root.mark?.line ?? 1, field: "file", "MIDI learn needs a block-style file (`name:` and `controls:` on their own lines)")
        }
        var lines = text.components(separatedBy: "\n")
        // A prefix like "  - " for a new entry: copied from the first entry, so the file keeps its style.
        var prefix = "  - "

        func keyLine(_ name: String) -> (Node, Node)? {
            top.first { $0.key.scalar?.string == name }.map { ($0.key, $0.value) }
        }

        guard let (key, controls) = keyLine("controls") else {
            // A file with just its name: start the list at the end (the result is checked by the caller).
            if lines.last == "" { lines.removeLast() }
            lines.append("controls:")
            lines += render(entry, registry: registry, prefix: prefix)
            return finished(lines)
        }
        // Otherwise the file must load as it is: editing a broken file would hide its error.
        let mapping = try Mapping.load(yaml: text, name: file, registry: registry)
        let keyLineNumber = key.mark?.line ?? 1

        if let list = controls.sequence, !list.isEmpty {
            guard list.style != .flow else {
                throw MappingError(file: file, line: controls.mark?.line ?? 1, field: "controls", "MIDI learn can only add to a block list (entries starting with `- `)")
            }
            if let first = mapping.entries.first { prefix = entryPrefix(lines, first, file: file) ?? prefix }
            // Same control already bound: rewrite the first such entry, drop the others (bottom up,
            // so earlier line numbers stay valid).
            let clashes = mapping.entries.filter { $0.control.overlaps(entry.control) }
            if let first = clashes.first {
                for old in clashes.dropFirst().reversed() {
                    let span = entrySpan(lines, old)
                    lines.removeSubrange((span.lowerBound - 1)...(span.upperBound - 1))
                }
                let span = entrySpan(lines, first)
                let ownPrefix = entryPrefix(lines, first, file: file) ?? prefix
                lines.replaceSubrange((span.lowerBound - 1)...(span.upperBound - 1), with: render(entry, registry: registry, prefix: ownPrefix))
                return finished(lines)
            }
            let end = mapping.entries.map(\.lastLine).max() ?? keyLineNumber
            lines.insert(contentsOf: render(entry, registry: registry, prefix: prefix), at: end)
            return finished(lines)
        }

        // `controls:` with nothing, `~` or `[]`: make it a block list by cutting the value out of
        // its line (anything after it, such as a comment, stays).
        let valueText = controls.sequence != nil ? "[]" : (controls.scalar?.string ?? "")
        if !valueText.isEmpty, let column = controls.mark?.column, controls.mark?.line == keyLineNumber {
            var scalars = Array(lines[keyLineNumber - 1].unicodeScalars)
            let start = column - 1, end = min(scalars.count, start + valueText.unicodeScalars.count)
            if start >= 0, start < end, String(String.UnicodeScalarView(scalars[start..<end])) == valueText {
                scalars.removeSubrange(start..<end)
                var line = String(String.UnicodeScalarView(scalars))
                while line.hasSuffix(" ") { line.removeLast() }
                lines[keyLineNumber - 1] = line
            } else {
                throw MappingError(file: file, line: keyLineNumber, field: "controls", "MIDI learn cannot turn this value into a list; write `controls:` with entries below it")
            }
        }
        lines.insert(contentsOf: render(entry, registry: registry, prefix: prefix), at: keyLineNumber)
        return finished(lines)
    }

    /// Joined, ending with exactly the newline the file had (one added if it had none).
    static func finished(_ lines: [String]) -> String {
        let text = lines.joined(separator: "\n")
        return text.hasSuffix("\n") ? text : text + "\n"
    }

    /// Lines (1-based, inclusive) an entry occupies, including a lone "-" line before it.
    static func entrySpan(_ lines: [String], _ entry: Mapping.Entry) -> ClosedRange<Int> {
        var start = entry.line
        if start > 1, lines[start - 1].trimmingCharacters(in: .whitespaces).hasPrefix("-") == false,
           lines[start - 2].trimmingCharacters(in: .whitespaces) == "-" {
            start -= 1
        }
        return start...max(start, entry.lastLine)
    }

    /// The text before an entry's first key on its line ("  - "), when it is a dash and spaces.
    static func entryPrefix(_ lines: [String], _ entry: Mapping.Entry, file: String) -> String? {
        let line = lines[entry.line - 1]
        guard let dash = line.firstIndex(of: "-") else { return nil }
        let before = line[..<dash]
        guard before.allSatisfy({ $0 == " " }) else { return nil }
        var end = line.index(after: dash)
        while end < line.endIndex, line[end] == " " { end = line.index(after: end) }
        return String(line[..<end])
    }
}
