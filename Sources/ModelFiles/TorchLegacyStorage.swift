import Basics
import Foundation

/// The elements of one torch storage, widened to float32.
struct TorchStorage {
    enum DType: String {
        case float32, float16
    }
    var values: [Float]
    var dtype: DType
}

/// Reads the bytes that a pickled torch storage carries: `torch.storage._load_from_bytes(b)`, where b
/// is a *legacy* (pre-zip) `torch.save` stream of that one storage:
///
///     pickle(magic number) pickle(1001) pickle(sys info)
///     pickle(root object, storages as persistent ids ('storage', torch.FloatStorage, key, location, numel, view))
///     pickle([keys])
///     per key: int64 LE element count, then the raw little-endian elements
///
/// Only float32 (FloatStorage) and float16 (HalfStorage) are accepted: stylegan2-ada-pytorch
/// generators hold nothing else.
enum TorchLegacyStorage {
    /// 0x1950a86a20f9469cfc6c as the little-endian bytes of a pickled Python int.
    static let magicNumber: [UInt8] = [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]
    static let protocolVersion = 1001

    /// Snapshots are written from CPU copies, but a hand-saved one may name the CUDA storage types;
    /// the bytes are the same.
    static let globals = PickleGlobals(allowed: ["torch.FloatStorage", "torch.HalfStorage", "torch.cuda.FloatStorage", "torch.cuda.HalfStorage"]) { module, name in
        guard module == "torch" || module == "torch.cuda", name.hasSuffix("Storage") else { return nil }
        return "holds a \(printable(module + "." + name)) tensor; only FloatStorage (float32) and HalfStorage (float16) are supported"
    }

    /// `payload` is a slice of the checkpoint (its indices are file offsets, used in messages).
    static func decode(_ payload: Data, path: String) throws -> TorchStorage {
        let what = "tensor storage at byte \(payload.startIndex) "
        func fail(_ problem: String) -> FileError { FileError(path, what + problem) }
        func next(_ at: Int) throws -> (value: PickleValue, end: Int) {
            try PickleMachine.run(payload, from: at, path: path, what: what, globals: globals)
        }

        var (value, pos) = try next(payload.startIndex)
        guard case .bigInt(let magic) = value, magic == magicNumber else {
            throw fail("is not a legacy torch.save stream (it does not start with torch's magic number)")
        }
        (value, pos) = try next(pos)
        guard value.int == protocolVersion else {
            throw fail("uses torch.save protocol \(value.int.map(String.init) ?? value.kindDescription); only \(protocolVersion) is supported")
        }
        (value, pos) = try next(pos)
        if case .bool(false)? = value["little_endian"] {
            throw fail("was saved on a big-endian machine, which is not supported")
        }

        (value, pos) = try next(pos)
        let storage = try describeStorage(value, fail: fail)

        (value, pos) = try next(pos)
        guard case .list(let keyValues) = value else { throw fail("has no list of storage keys") }
        let keys = keyValues.compactMap(\.string)
        guard keys.count == keyValues.count, keys == [storage.key] else {
            throw fail("lists storage keys \(printable(keys.description)) but its object refers to '\(printable(storage.key))'")
        }

        // The element count, then the elements.
        let remaining = payload.endIndex - pos
        guard remaining >= 8 else { throw fail("is truncated before the element count of its storage") }
        var count: UInt64 = 0
        for i in stride(from: 7, through: 0, by: -1) { count = count << 8 | UInt64(payload[pos + i]) }
        pos += 8
        let size = storage.dtype == .float32 ? 4 : 2
        guard count <= UInt64((payload.endIndex - pos) / size) else {
            throw fail("is truncated: it declares \(count) elements but only \(payload.endIndex - pos) bytes follow")
        }
        guard Int(count) == storage.numel else {
            throw fail("holds \(count) elements but its header says \(storage.numel)")
        }
        var values = decodeElements(payload, at: pos, count: Int(count), dtype: storage.dtype)

        if let view = storage.view {
            guard view.offset <= values.count, view.size <= values.count - view.offset else {
                throw fail("has a view [\(view.offset), +\(view.size)) outside its \(values.count) elements")
            }
            values = Array(values[view.offset..<(view.offset + view.size)])
        }
        return TorchStorage(values: values, dtype: storage.dtype)
    }

    private struct StorageHeader {
        var dtype: TorchStorage.DType
        var key: String
        var numel: Int
        var view: (offset: Int, size: Int)?
    }

    /// ('storage', torch.FloatStorage, key, location, numel, view_metadata) — older torch versions
    /// omit numel's neighbours differently, but every version stylegan2-ada-pytorch ran on writes these six.
    private static func describeStorage(_ value: PickleValue, fail: (String) -> FileError) throws -> StorageHeader {
        guard case .persistentID(let pid) = value, let f = pid.items, f.count >= 5, f[0].string == "storage",
              case .global(let module, let typeName) = f[1], module == "torch" || module == "torch.cuda", let key = f[2].string, let numel = f[4].int, numel >= 0 else {
            throw fail("does not hold a single torch storage (found \(value.kindDescription))")
        }
        let dtype: TorchStorage.DType = typeName == "HalfStorage" ? .float16 : .float32
        var view: (Int, Int)?
        if f.count > 5, let v = f[5].items {
            guard v.count == 3, let offset = v[1].int, let size = v[2].int, offset >= 0, size >= 0 else {
                throw fail("has a malformed storage view")
            }
            view = (offset, size)
        }
        return StorageHeader(dtype: dtype, key: key, numel: numel, view: view)
    }

    /// Little-endian elements at `offset` (already bounds-checked), widened to float32.
    static func decodeElements(_ data: Data, at offset: Int, count: Int, dtype: TorchStorage.DType) -> [Float] {
        guard count > 0 else { return [] }
        return data.withUnsafeBytes { raw in
            let p = raw.baseAddress!.advanced(by: offset - data.startIndex)
            return [Float](unsafeUninitializedCapacity: count) { out, initialized in
                switch dtype {
                case .float32:
                    for i in 0..<count { out[i] = Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
                case .float16:
                    for i in 0..<count { out[i] = Float(Float16(bitPattern: UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))) }
                }
                initialized = count
            }
        }
    }
}
