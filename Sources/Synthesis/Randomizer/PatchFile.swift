import Basics
import Foundation

/// Patch files: pretty-printed JSON with sorted keys, so a VJ can diff, edit and replay them. Every
/// problem with a file is reported as a FileError that names the file and the offending field.
extension Patch {
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    public func save(path: String) throws {
        if let p = problem() { throw FileError(path, "refusing to save an invalid patch: \(p)") }
        do {
            try jsonData().write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw FileError(path, "cannot write the patch: \(error.localizedDescription)")
        }
    }

    public static func load(path: String) throws -> Patch {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw FileError(path, "cannot read the patch file: \(error.localizedDescription)")
        }
        return try decode(data, path: path)
    }

    /// Parses and validates a patch file's bytes; `path` is only for messages.
    public static func decode(_ data: Data, path: String) throws -> Patch {
        guard let tree = try? JSONSerialization.jsonObject(with: data) else {
            throw FileError(path, "not a JSON patch file (the text is not valid JSON)")
        }
        if let p = seedProblem(in: tree, at: "") { throw FileError(path, p) }
        let decoder = JSONDecoder()
        // The version first: a file from another version fails with that reason, not with a missing field.
        struct VersionOnly: Decodable { let version: Int }
        do {
            let found = try decoder.decode(VersionOnly.self, from: data).version
            guard found == currentVersion else {
                throw FileError(path, "unsupported patch version \(found) (this LatentVJ reads version \(currentVersion))")
            }
            let patch = try decoder.decode(Patch.self, from: data)
            if let p = patch.problem() { throw FileError(path, p) }
            return patch
        } catch let error as DecodingError {
            throw FileError(path, describe(error))
        }
    }

    /// Seeds must be whole numbers 0…2⁶⁴−1. Checked on the parsed tree because the decoder reports a
    /// negative seed only as "not valid JSON", without saying where.
    static func seedProblem(in node: Any, at path: String) -> String? {
        func isSeed(_ value: Any) -> Bool {
            guard let n = value as? NSNumber else { return false }   // true/false: the decoder names it
            let d = n.doubleValue
            return d >= 0 && d == d.rounded()   // too large: the decoder says so, with the field
        }
        if let object = node as? [String: Any] {
            for key in object.keys.sorted() {
                let value = object[key]!, field = path.isEmpty ? key : "\(path).\(key)"
                if key == "seed" || key.hasSuffix("Seed"), !isSeed(value) {
                    return "\(field): \(value) is not a seed (a whole number from 0 to 18446744073709551615)"
                }
                if key.hasSuffix("Seeds"), let list = value as? [Any], let bad = list.firstIndex(where: { !isSeed($0) }) {
                    return "\(field)[\(bad)]: \(list[bad]) is not a seed (a whole number from 0 to 18446744073709551615)"
                }
                if let p = seedProblem(in: value, at: field) { return p }
            }
        } else if let array = node as? [Any] {
            for (i, value) in array.enumerated() {
                if let p = seedProblem(in: value, at: "\(path)[\(i)]") { return p }
            }
        }
        return nil
    }

    /// A DecodingError in a VJ's words: which field, what is wrong, what is allowed.
    static func describe(_ error: DecodingError) -> String {
        func field(_ path: [CodingKey]) -> String {
            var s = ""
            for key in path {
                if let i = key.intValue { s += "[\(i)]" } else { s += (s.isEmpty ? "" : ".") + key.stringValue }
            }
            return s
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "\(field(context.codingPath + [key])): missing field"
        case .valueNotFound(_, let context):
            return "\(field(context.codingPath)): missing value"
        case .typeMismatch(let type, let context):
            return "\(field(context.codingPath)): expected \(typeName(type))"
        case .dataCorrupted(let context):
            guard !context.codingPath.isEmpty else {
                return "not a JSON patch file (\(context.underlyingError.map { "\($0)" } ?? context.debugDescription))"
            }
            let name = field(context.codingPath)
            let allowed = choices(forKey: context.codingPath.last?.stringValue ?? "", in: context.codingPath)
            return "\(name): \(context.debugDescription)" + (allowed.map { " (allowed: \($0))" } ?? "")
        @unknown default:
            return "\(error)"
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is UInt64.Type: return "a non-negative whole number"
        case is Int.Type: return "a whole number"
        case is Double.Type: return "a number"
        case is String.Type: return "a string"
        default: return "\(type)"
        }
    }

    /// The valid words for an enumerated field, so a typo's message says what to write instead.
    private static func choices(forKey key: String, in path: [CodingKey]) -> String? {
        let inNoise = path.first?.stringValue == "noise"
        switch key {
        case "depth": return DepthChoice.allCases.map(\.rawValue).joined(separator: ", ")
        case "merge": return MergeType.allCases.map(\.rawValue).joined(separator: ", ")
        case "strategy":
            return inNoise ? NoiseStrategy.allCases.map(\.rawValue).joined(separator: ", ")
                           : LatentStrategy.allCases.map(\.rawValue).joined(separator: ", ")
        default: return nil
        }
    }
}
