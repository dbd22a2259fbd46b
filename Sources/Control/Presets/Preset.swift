import Basics
import Foundation
import Yams

/// A whole scene (spec "Presets"): which model and envelope network it was made with, and every
/// parameter's value, palette numbers (seeds per group) and the synthesizer among them. YAML, so a VJ
/// can read and edit one; `/lvj/preset/save` writes one from the running engine.
public struct Preset: Codable, Equatable, Sendable {
    public var name: String
    public var description: String?
    /// The model it was made with (`default` for the built-in one).
    public var model: String?
    /// The envelope network file it was made with (a name in Presets/).
    public var envelope: String?
    /// Parameter values by name; parameters left out keep their current value.
    public var parameters: [String: Double]

    public init(name: String, description: String? = nil, model: String? = nil, envelope: String? = nil, parameters: [String: Double]) {
        self.name = name; self.description = description; self.model = model; self.envelope = envelope; self.parameters = parameters
    }

    public static let fileExtension = ".preset.yaml"

    /// Reads and checks a preset against the registry: unknown parameters, values that are not finite
    /// or outside their range are errors naming the file and the parameter (nothing is half-applied).
    public static func load(path: String, registry: ParameterRegistry) throws -> Preset {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw FileError(path, "cannot be read as text") }
        let preset: Preset
        do { preset = try YAMLDecoder().decode(Preset.self, from: text) }
        catch { throw FileError(path, "is not a valid preset: \(Self.explain(error))") }
        try preset.validate(registry: registry, path: path)
        return preset
    }

    public func validate(registry: ParameterRegistry, path: String) throws {
        if let problem = PresetName.problem(name) { throw FileError(path, "name: \(problem)") }
        for (key, value) in parameters.sorted(by: { $0.key < $1.key }) {
            guard let i = registry.index(of: key) else { throw FileError(path, "parameters: unknown parameter '\(key)'") }
            let p = registry[i]
            guard value.isFinite else { throw FileError(path, "parameters: \(key) is not a finite number") }
            guard p.kind != .trigger else { throw FileError(path, "parameters: \(key) is an action, not a value") }
            guard value >= p.minimum && value <= p.maximum else {
                throw FileError(path, "parameters: \(key) = \(value) is outside \(p.minimum)…\(p.maximum)")
            }
        }
    }

    /// Writes the preset as a person would: keys sorted (saved files diff well), numbers plain (`0.05`,
    /// not Yams's `5e-2`), strings quoted.
    public func save(path: String) throws {
        func quoted(_ text: String) -> String {
            let data = (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8)
            return String(decoding: data, as: UTF8.self)       // JSON strings are valid YAML
        }
        var text = "# LatentVJ preset: recall with /lvj/preset/load \(quoted(name)), a number key, or a MIDI program change.\n"
        text += "name: \(quoted(name))\n"
        if let description { text += "description: \(quoted(description))\n" }
        if let model { text += "model: \(quoted(model))\n" }
        if let envelope { text += "envelope: \(quoted(envelope))\n" }
        text += "parameters:\n"
        for (key, value) in parameters.sorted(by: { $0.key < $1.key }) { text += "  \(key): \(String(format: "%.10g", value))\n" }
        do { try text.write(toFile: path, atomically: true, encoding: .utf8) }
        catch { throw FileError(path, "cannot be written: \(error.localizedDescription)") }
    }

    /// The current scene of a store (parameters of the scene role; stage and transport stay out).
    public static func capture(name: String, store: ParameterStore, model: String?, envelope: String?) -> Preset {
        let scene = Set(store.registry.parameters.filter { $0.role == .scene }.map(\.name))
        return Preset(name: name, model: model, envelope: envelope, parameters: store.snapshot().filter { scene.contains($0.key) })
    }

    /// Sets every value; continuous ones glide over `morph` seconds (0: at once).
    public func apply(to store: ParameterStore, morph: Double = 0, onBeat: Bool = false) {
        for (key, value) in parameters.sorted(by: { $0.key < $1.key }) {
            guard let i = store.registry.index(of: key) else { continue }
            store.set(i, value, ramp: morph, onBeat: onBeat)
        }
    }

    static func explain(_ error: Error) -> String {
        if let e = error as? DecodingError {
            switch e {
            case .keyNotFound(let key, _): return "missing field '\(key.stringValue)'"
            case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c):
                let path = c.codingPath.map(\.stringValue).joined(separator: ".")
                return (path.isEmpty ? "" : "\(path): ") + c.debugDescription
            @unknown default: return "\(e)"
            }
        }
        return "\(error)"
    }
}

/// The presets of a folder: `NAME.preset.yaml`, in name order; slots 1–9 (number keys, MIDI program
/// change N → slot N+1) follow that order.
public struct PresetLibrary: Sendable {
    public let folder: String
    public init(folder: String) { self.folder = folder }

    public func path(of name: String) throws -> String {
        if let problem = PresetName.problem(name) { throw UsageError(problem) }
        return (folder as NSString).appendingPathComponent(name + Preset.fileExtension)
    }

    /// Another file of the folder a preset names (its envelope network): a name, never a path.
    public func path(ofFile file: String) throws -> String {
        guard !file.contains("/"), !file.hasPrefix("."), !file.isEmpty else { throw UsageError("'\(file)' is a file name, not a path") }
        let p = (folder as NSString).appendingPathComponent(file)
        guard FileManager.default.fileExists(atPath: p) else { throw FileError(p, "does not exist (named by a preset)") }
        return p
    }

    public var names: [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return files.filter { $0.hasSuffix(Preset.fileExtension) }.map { String($0.dropLast(Preset.fileExtension.count)) }.sorted()
    }

    public func name(ofSlot slot: Int) -> String? {
        let all = names
        return (1...all.count).contains(slot) ? all[slot - 1] : nil
    }

    public func load(_ name: String, registry: ParameterRegistry) throws -> Preset {
        let p = try path(of: name)
        guard FileManager.default.fileExists(atPath: p) else { throw FileError(p, "does not exist: no preset '\(name)' in \(folder)") }
        return try Preset.load(path: p, registry: registry)
    }
}
