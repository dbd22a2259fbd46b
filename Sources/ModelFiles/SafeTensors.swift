import Basics
import Foundation

/// LatentVJ's own model format: safetensors (an 8-byte little-endian header length, a JSON header of
/// name → {dtype, shape, data_offsets} plus string-valued `__metadata__`, then the raw little-endian
/// data), holding a generator with stylegan2-ada-pytorch's tensor names and its architecture in the
/// metadata. Loading maps the file and checks every offset against the real file before reading it.
public enum SafeTensorsFile {
    public enum DType: String, Sendable, CaseIterable {
        case float32, float16

        var code: String { self == .float32 ? "F32" : "F16" }
        var size: Int { self == .float32 ? 4 : 2 }
    }

    /// The metadata "format" value that marks a file as ours.
    public static let formatName = "latentvj-stylegan2"
    /// What the safetensors reference implementation accepts as a header; more is a damaged file.
    static let maxHeaderBytes = 100_000_000

    // MARK: Writing

    public static func write(_ weights: GeneratorWeights, to path: String, dtype: DType) throws {
        do { try weights.validate(source: weights.label) } catch let error as ArchitectureError {
            throw FileError(path, "cannot be written: \(error.message)")
        }
        let expected = weights.architecture.expectedTensors()
        if dtype == .float16 {
            for (name, _) in expected {
                if let v = weights.tensors[name]!.values.first(where: { !Float16($0).isFinite }) {
                    throw FileError(path, "cannot be written as float16: tensor \(name) holds \(v), beyond float16's range (±65504); use float32")
                }
            }
        }

        let architecture: String
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            architecture = String(decoding: try encoder.encode(weights.architecture), as: UTF8.self)
        } catch {
            throw FileError(path, "cannot be written: the architecture cannot be encoded (\(error))")
        }
        let metadata: [(String, String)] = [
            ("format", formatName), ("architecture", architecture), ("label", weights.label),
            ("untrained", weights.untrained ? "true" : "false"),
        ]

        // The header: entries in expectedTensors() order, data laid out in the same order.
        var json = "{\"__metadata__\":{" + metadata.map { "\(jsonString($0.0)):\(jsonString($0.1))" }.joined(separator: ",") + "}"
        var offset = 0
        for (name, shape) in expected {
            let bytes = shape.reduce(1, *) * dtype.size
            json += ",\(jsonString(name)):{\"dtype\":\"\(dtype.code)\",\"shape\":[\(shape.map(String.init).joined(separator: ","))],"
                + "\"data_offsets\":[\(offset),\(offset + bytes)]}"
            offset += bytes
        }
        json += "}"
        var header = Array(json.utf8)
        while (8 + header.count) % 8 != 0 { header.append(0x20) }  // spaces keep the data 8-byte aligned

        var file = [UInt8](repeating: 0, count: 8 + header.count + offset)
        file.withUnsafeMutableBytes { out in
            out.storeBytes(of: UInt64(header.count).littleEndian, toByteOffset: 0, as: UInt64.self)
            out.baseAddress!.advanced(by: 8).copyMemory(from: header, byteCount: header.count)
            var p = 8 + header.count
            for (name, _) in expected {
                for v in weights.tensors[name]!.values {
                    switch dtype {
                    case .float32: out.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: p, as: UInt32.self)
                    case .float16: out.storeBytes(of: Float16(v).bitPattern.littleEndian, toByteOffset: p, as: UInt16.self)
                    }
                    p += dtype.size
                }
            }
        }
        do {
            try Data(file).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw FileError(path, "cannot be written (\((error as NSError).localizedDescription))")
        }
    }

    /// A JSON string literal.
    static func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }

    // MARK: Loading

    public static func load(path: String) throws -> GeneratorWeights {
        let data = try CheckpointBytes.read(path: path)
        guard looksLikeSafeTensors([UInt8](data.prefix(9)), fileSize: data.count) else {
            _ = try CheckpointBytes.identify(data, path: path)  // says what it is instead
            throw FileError(path, "is a Python pickle, not a safetensors file (convert it with 'latentvj convert')")
        }
        return try load(data, path: path).weights
    }

    /// The first bytes are a plausible header length followed by the JSON object's '{'.
    static func looksLikeSafeTensors(_ head: [UInt8], fileSize: Int) -> Bool {
        guard head.count >= 9, head[8] == UInt8(ascii: "{") else { return false }
        let n = head[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return n >= 2 && n <= UInt64(maxHeaderBytes)
    }

    static func load(_ data: Data, path: String) throws -> LoadedCheckpoint {
        func fail(_ problem: String) -> FileError { FileError(path, problem) }
        guard data.count >= 8 else { throw fail("is too short to be a safetensors file (\(data.count) bytes)") }
        let base = data.startIndex
        let n = data[base..<(base + 8)].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard n <= UInt64(data.count - 8) else {
            throw fail("is truncated: its safetensors header declares \(n) bytes but only \(data.count - 8) follow")
        }
        guard n <= UInt64(maxHeaderBytes) else { throw fail("has a safetensors header of \(n) bytes (more than 100 MB: damaged)") }
        let dataStart = 8 + Int(n)
        let dataSize = data.count - dataStart

        let header: [String: Any]
        do {
            guard let object = try JSONSerialization.jsonObject(with: data[(base + 8)..<(base + dataStart)]) as? [String: Any] else {
                throw fail("has a safetensors header that is not a JSON object")
            }
            header = object
        } catch let error as FileError {
            throw error
        } catch {
            throw fail("has a malformed safetensors header (not valid JSON)")
        }

        // Metadata: ours, with an architecture we can run.
        guard let metadata = header["__metadata__"] as? [String: String], metadata["format"] == formatName else {
            throw fail("is a safetensors file but not a LatentVJ StyleGAN2 model (its metadata lacks \"format\": \"\(formatName)\")")
        }
        let architecture: GeneratorArchitecture
        do {
            architecture = try JSONDecoder().decode(GeneratorArchitecture.self, from: Data((metadata["architecture"] ?? "").utf8))
        } catch {
            throw fail("has no readable generator architecture in its metadata")
        }
        do { try architecture.validate() } catch let error as ArchitectureError {
            throw fail("holds a generator this implementation cannot run: \(error.message)")
        }

        // Every entry: a tensor of this architecture, a supported dtype, the expected shape, offsets
        // inside the data and consistent with dtype × shape. Checked before anything is read.
        let expected = architecture.expectedTensors()
        let shapes = Dictionary(expected.map { ($0.name, $0.shape) }, uniquingKeysWith: { a, _ in a })
        var spans = [(name: String, begin: Int, end: Int, dtype: DType)]()
        for (name, entryValue) in header where name != "__metadata__" {
            guard let expectedShape = shapes[name] else {
                throw fail("has tensor \(printable(name)), which a generator with this architecture does not have")
            }
            guard let entry = entryValue as? [String: Any] else { throw fail("tensor \(name) has a malformed header entry") }
            let dtype: DType
            switch entry["dtype"] as? String {
            case "F32": dtype = .float32
            case "F16": dtype = .float16
            case let other: throw fail("tensor \(name) has dtype \(printable(other ?? "(none)")); only F32 and F16 are supported")
            }
            guard let shape = intArray(entry["shape"]) else { throw fail("tensor \(name) has a malformed shape") }
            guard shape == expectedShape else {
                throw fail("tensor \(name) has shape \(shape), expected \(expectedShape) for this architecture")
            }
            guard let offsets = intArray(entry["data_offsets"]), offsets.count == 2 else {
                throw fail("tensor \(name) has malformed data_offsets")
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, begin <= end, end <= dataSize else {
                throw fail("tensor \(name) has data [\(begin), \(end)) outside the file's \(dataSize) data bytes (truncated or damaged)")
            }
            let bytes = expectedShape.reduce(1, *) * dtype.size  // bounded: the architecture was validated
            guard end - begin == bytes else {
                throw fail("tensor \(name) has \(end - begin) data bytes, but \(dtype.code) × \(shape) needs \(bytes)")
            }
            spans.append((name, begin, end, dtype))
        }
        if let missing = expected.first(where: { header[$0.name] == nil }) {
            throw fail("has no tensor \(missing.name), which this architecture needs")
        }
        spans.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
        for (a, b) in zip(spans, spans.dropFirst()) where b.begin < a.end {
            throw fail("tensors \(a.name) and \(b.name) overlap in the data")
        }

        var tensors = [String: Tensor]()
        for span in spans {
            let values = TorchLegacyStorage.decodeElements(data, at: base + dataStart + span.begin, count: (span.end - span.begin) / span.dtype.size,
                                                           dtype: span.dtype == .float32 ? .float32 : .float16)
            tensors[span.name] = Tensor(shape: shapes[span.name]!, values: values)
        }
        let label = metadata["label"] ?? URL(fileURLWithPath: path).lastPathComponent
        let weights = GeneratorWeights(architecture: architecture, tensors: tensors, label: label, untrained: metadata["untrained"] == "true")
        do { try weights.validate(source: path) } catch let error as ArchitectureError {
            let prefix = "\(path): "
            throw fail(error.message.hasPrefix(prefix) ? String(error.message.dropFirst(prefix.count)) : error.message)
        }
        let dtypes = Set(spans.map(\.dtype))
        return LoadedCheckpoint(weights: weights, format: .safetensors, storedDType: dtypes.count == 1 ? dtypes.first!.rawValue : "mixed")
    }

    /// A JSON array of non-negative integers (no fractions).
    private static func intArray(_ value: Any?) -> [Int]? {
        guard let array = value as? [Any] else { return nil }
        var out = [Int]()
        for element in array {
            guard let number = element as? NSNumber else { return nil }
            let d = number.doubleValue
            guard d >= 0, d <= 1e15, d == d.rounded() else { return nil }
            out.append(Int(d))
        }
        return out
    }
}
