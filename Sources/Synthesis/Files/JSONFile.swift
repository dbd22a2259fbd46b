import Basics
import Foundation

/// Reading and writing the synthesizers' JSON files (envelope networks, HiPPO envelopes, patches) with
/// errors that name the file and say what is wrong, and atomic writes so a crash never leaves half a file.
public enum JSONFile {
    public static func read<T: Decodable>(_ type: T.Type, path: String, what: String) throws -> T {
        guard FileManager.default.fileExists(atPath: path) else { throw FileError(path, "no such file") }
        guard let data = FileManager.default.contents(atPath: path) else { throw FileError(path, "cannot be read") }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let DecodingError.dataCorrupted(context) {
            throw FileError(path, "is not a valid \(what) (\(describe(context)))")
        } catch let DecodingError.keyNotFound(key, context) {
            throw FileError(path, "is not a valid \(what): missing field '\(keyPath(context.codingPath + [key]))'")
        } catch let DecodingError.typeMismatch(_, context) {
            throw FileError(path, "is not a valid \(what): wrong type at '\(keyPath(context.codingPath))'")
        } catch let DecodingError.valueNotFound(_, context) {
            throw FileError(path, "is not a valid \(what): missing value at '\(keyPath(context.codingPath))'")
        } catch {
            throw FileError(path, "is not a valid \(what) (\(error))")
        }
    }

    public static func write<T: Encodable>(_ value: T, path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(value)
        do { try data.write(to: URL(fileURLWithPath: path), options: .atomic) } catch { throw FileError(path, "cannot be written (\(error.localizedDescription))") }
    }

    static func keyPath(_ keys: [CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
    }

    static func describe(_ context: DecodingError.Context) -> String {
        let at = keyPath(context.codingPath)
        let reason = (context.underlyingError as NSError?)?.userInfo["NSDebugDescription"] as? String ?? context.debugDescription
        return at.isEmpty ? reason : "\(reason) at '\(at)'"
    }
}
