import Basics
import Foundation

/// A generator model file, recognised by its content (never by its extension: users rename files).
public enum CheckpointFormat: String, Sendable {
    /// A stylegan2-ada-pytorch network snapshot (`network-snapshot-*.pkl`).
    case styleGAN2Pickle = "stylegan2-ada-pytorch pickle"
    /// LatentVJ's own safetensors file (`latentvj convert`).
    case safetensors = "LatentVJ safetensors"
}

/// A loaded model with what a user wants to know about the file it came from.
public struct LoadedCheckpoint: Sendable {
    public var weights: GeneratorWeights
    public var format: CheckpointFormat
    /// How the file stores its tensors: "float32", "float16" or "mixed" (they are float32 in memory).
    public var storedDType: String
}

public enum GeneratorCheckpoint {
    /// Loads a .pkl or .safetensors generator, whichever the content is.
    public static func load(path: String) throws -> LoadedCheckpoint {
        let data = try CheckpointBytes.read(path: path)
        switch try CheckpointBytes.identify(data, path: path) {
        case .styleGAN2Pickle: return try StyleGANPickle.load(data, path: path)
        case .safetensors: return try SafeTensorsFile.load(data, path: path)
        }
    }
}

/// Reading a model file and telling what it is; every refusal says what the file *is*.
enum CheckpointBytes {
    static func read(path: String) throws -> Data {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw FileError(path, "does not exist") }
        guard !isDirectory.boolValue else { throw FileError(path, "is a directory, not a model file") }
        do {
            // Mapped: a 1024 px snapshot is ~350 MB, and most of it (D, G) is never looked at.
            return try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw FileError(path, "cannot be read (\((error as NSError).localizedDescription))")
        }
    }

    static let zipMagic: [UInt8] = [0x50, 0x4B, 0x03, 0x04]

    /// Which of our formats the bytes are, or a FileError saying what they are instead.
    static func identify(_ data: Data, path: String) throws -> CheckpointFormat {
        let head = [UInt8](data.prefix(64))
        guard !head.isEmpty else { throw FileError(path, "is empty") }
        if head.starts(with: zipMagic) {
            throw FileError(path, "is a PyTorch zip checkpoint (e.g. rosinality's stylegan2-pytorch), not a stylegan2-ada-pytorch pickle")
        }
        if head.count >= 2, head[0] == 0x80, (2...5).contains(head[1]) {
            // A legacy torch.save file starts with a pickle of its magic number (PROTO 2, LONG1 of 10 bytes).
            if head.count >= 14, head[2] == 0x8A, head[3] == 10, Array(head[4..<14]) == TorchLegacyStorage.magicNumber {
                throw FileError(path, "is a legacy torch.save file (e.g. a saved state_dict), not a stylegan2-ada-pytorch network pickle")
            }
            return .styleGAN2Pickle
        }
        if SafeTensorsFile.looksLikeSafeTensors(head, fileSize: data.count) { return .safetensors }
        throw FileError(path, "is not a StyleGAN2 model: " + describe(head))
    }

    /// Names what a file that is neither a pickle nor safetensors looks like.
    static func describe(_ head: [UInt8]) -> String {
        if head.starts(with: [0x1F, 0x8B]) { return "it is gzip-compressed (decompress it first)" }
        if head.starts(with: Array("PK".utf8)) { return "it is a ZIP archive" }
        if head.first == 0x80, head.count > 1 { return "it is a Python pickle of protocol \(head[1]), which this reader does not support (2–5)" }
        let text = String(decoding: head, as: UTF8.self)
        let lower = text.lowercased()
        if lower.hasPrefix("<!doctype html") || lower.hasPrefix("<html") {
            return "it is an HTML page (a failed download?), not a Python pickle or safetensors file"
        }
        let printable = head.allSatisfy { $0 == 9 || $0 == 10 || $0 == 13 || ($0 >= 32 && $0 != 127) }
        if printable {
            let start = String(text.prefix(24)).replacingOccurrences(of: "\n", with: "\\n")
            return "it is a text file (starting \"\(start)\"), not a Python pickle or safetensors file"
        }
        let hex = head.prefix(8).map { String(format: "%02x", $0) }.joined(separator: " ")
        return "it is neither a Python pickle nor a safetensors file (it starts with bytes \(hex))"
    }
}

/// A name read from a damaged or hostile file, made safe to print in a one-line message:
/// control characters become '?', and anything long is cut.
func printable(_ s: String, limit: Int = 80) -> String {
    let cleaned = String(s.unicodeScalars.map { $0.value < 32 || $0.value == 127 || (0x80..<0xA0).contains($0.value) ? "?" : Character($0) })
    return cleaned.count > limit ? cleaned.prefix(limit) + "…" : cleaned
}
