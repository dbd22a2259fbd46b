import Basics
import Foundation

/// Reads RIFF/WAVE files natively: PCM 8/16/24/32-bit integer, 32/64-bit float, any channel count and
/// sample rate, plain or WAVE_FORMAT_EXTENSIBLE.
///
/// Every check happens against the real file length before anything is allocated, so a header that
/// claims gigabytes cannot make us allocate them.
public enum WAVReader {
    public static func read(path: String) throws -> AudioClip {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw FileError(path, "cannot be read (\(Self.reason(error)))")
        }
        return try decode(data, path: path)
    }

    /// Decodes WAV bytes; `path` only names the source in error messages.
    public static func decode(_ data: Data, path: String) throws -> AudioClip {
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            try decode(bytes: raw, path: path)
        }
    }

    static func decode(bytes: UnsafeRawBufferPointer, path: String) throws -> AudioClip {
        let cursor = ByteCursor(bytes)
        guard bytes.count >= 12 else {
            throw FileError(path, bytes.isEmpty ? "is empty" : "is too short to be a WAV file (\(bytes.count) bytes)")
        }
        let riff = cursor.fourCC(at: 0)
        guard riff == "RIFF" else {
            if riff == "RF64" { throw FileError(path, "is an RF64 (64-bit) WAV; convert it to plain WAV or FLAC with ffmpeg") }
            throw FileError(path, "is not a WAV file (starts with \(describeMagic(bytes)), expected \"RIFF\")")
        }
        guard cursor.fourCC(at: 8) == "WAVE" else {
            throw FileError(path, "is a RIFF file but not WAVE (form type \"\(cursor.fourCC(at: 8))\")")
        }

        var format: Format?
        var offset = 12
        while offset + 8 <= bytes.count {
            let id = cursor.fourCC(at: offset)
            let declared = Int(cursor.u32(at: offset + 4))
            let body = offset + 8
            let remaining = bytes.count - body
            if id == "data" {
                guard let fmt = format else { throw FileError(path, "has its data chunk before the fmt chunk") }
                // Streams written to a pipe may leave the size at 0xFFFFFFFF: read to the end.
                let size = declared == 0xFFFF_FFFF ? remaining : declared
                guard size <= remaining else {
                    throw FileError(path, "is truncated: the data chunk declares \(size) bytes but only \(remaining) follow")
                }
                let frames = size / fmt.blockAlign
                guard frames > 0 else { throw FileError(path, "contains no audio (the data chunk is empty)") }
                let samples = convert(UnsafeRawBufferPointer(rebasing: bytes[body..<(body + frames * fmt.blockAlign)]),
                                      format: fmt, frames: frames)
                return AudioClip(sampleRate: Double(fmt.sampleRate), channels: fmt.channels, samples: samples)
            }
            guard declared <= remaining else {
                throw FileError(path, "is truncated: chunk \"\(printable(id))\" declares \(declared) bytes but only \(remaining) follow")
            }
            if id == "fmt " {
                format = try parseFormat(UnsafeRawBufferPointer(rebasing: bytes[body..<(body + declared)]), path: path)
            }
            offset = body + declared + (declared & 1)  // chunks are padded to even sizes
        }
        if format == nil { throw FileError(path, "has no fmt chunk (not a valid WAV file)") }
        throw FileError(path, "has no data chunk (truncated or not a WAV file)")
    }

    struct Format {
        let encoding: SampleEncoding
        let channels: Int
        let sampleRate: Int
        let blockAlign: Int
    }

    static func parseFormat(_ body: UnsafeRawBufferPointer, path: String) throws -> Format {
        guard body.count >= 16 else { throw FileError(path, "has a fmt chunk of \(body.count) bytes (at least 16 needed)") }
        let c = ByteCursor(body)
        var tag = c.u16(at: 0)
        let channels = Int(c.u16(at: 2))
        let rate = Int(c.u32(at: 4))
        let blockAlign = Int(c.u16(at: 12))
        let bits = Int(c.u16(at: 14))
        if tag == WAVFormatTag.extensible {
            guard body.count >= 40 else { throw FileError(path, "has a WAVE_FORMAT_EXTENSIBLE header that is too short") }
            let guidTail = (0..<12).map { body[28 + $0] }
            guard c.u16(at: 26) == 0, guidTail == WAVFormatTag.subformatTail else {
                throw FileError(path, "uses an unknown WAVE_FORMAT_EXTENSIBLE sub-format")
            }
            tag = c.u16(at: 24)
        }
        guard tag == WAVFormatTag.pcm || tag == WAVFormatTag.ieeeFloat else {
            throw FileError(path, "uses compressed WAV format 0x\(String(tag, radix: 16)); only PCM and float WAV are read natively (convert with ffmpeg)")
        }
        guard WAVLimits.channels.contains(channels) else { throw FileError(path, "declares \(channels) channels (1–64 supported)") }
        guard WAVLimits.sampleRate.contains(rate) else { throw FileError(path, "declares a sample rate of \(rate) Hz (1 kHz–768 kHz supported)") }
        guard let encoding = SampleEncoding.from(formatTag: tag, bits: bits) else {
            throw FileError(path, "uses \(bits)-bit \(tag == WAVFormatTag.pcm ? "integer" : "float") samples, which are not supported")
        }
        guard blockAlign == channels * encoding.bytesPerSample else {
            throw FileError(path, "has an inconsistent header (block align \(blockAlign) for \(channels) × \(bits)-bit)")
        }
        return Format(encoding: encoding, channels: channels, sampleRate: rate, blockAlign: blockAlign)
    }

    static func convert(_ raw: UnsafeRawBufferPointer, format: Format, frames: Int) -> [Float] {
        let n = frames * format.channels
        return [Float](unsafeUninitializedCapacity: n) { out, count in
            let p = raw.baseAddress!
            switch format.encoding {
            case .pcmUnsigned8:
                for i in 0..<n { out[i] = (Float(p.load(fromByteOffset: i, as: UInt8.self)) - 128) / 128 }
            case .pcm16:
                for i in 0..<n { out[i] = Float(Int16(littleEndian: p.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self))) / 32768 }
            case .pcm24:
                for i in 0..<n {
                    let b0 = Int32(p.load(fromByteOffset: 3 * i, as: UInt8.self))
                    let b1 = Int32(p.load(fromByteOffset: 3 * i + 1, as: UInt8.self))
                    let b2 = Int32(Int8(bitPattern: p.load(fromByteOffset: 3 * i + 2, as: UInt8.self)))
                    out[i] = Float(b0 | (b1 << 8) | (b2 << 16)) / 8_388_608
                }
            case .pcm32:
                for i in 0..<n { out[i] = Float(Double(Int32(littleEndian: p.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self))) / 2_147_483_648) }
            case .float32:
                for i in 0..<n {
                    let v = Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                    out[i] = v.isFinite ? v : 0  // a NaN in a file must not poison every feature downstream
                }
            case .float64:
                for i in 0..<n {
                    let v = Double(bitPattern: UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))
                    out[i] = v.isFinite ? Float(v) : 0
                }
            }
            count = n
        }
    }

    static func describeMagic(_ bytes: UnsafeRawBufferPointer) -> String {
        let head = Array(bytes.prefix(4))
        if head.starts(with: Array("fLaC".utf8)) { return "\"fLaC\" (a FLAC file: it is decoded through ffmpeg)" }
        if head.starts(with: Array("OggS".utf8)) { return "\"OggS\" (an Ogg file)" }
        if head.starts(with: Array("ID3".utf8)) { return "\"ID3\" (an MP3 file)" }
        return "\"" + printable(String(decoding: head, as: UTF8.self)) + "\""
    }

    static func printable(_ s: String) -> String {
        String(s.unicodeScalars.map { $0.value >= 32 && $0.value < 127 ? Character($0) : "?" })
    }

    static func reason(_ error: Error) -> String {
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain,
           let code = POSIXErrorCode(rawValue: Int32(underlying.code)) {
            return String(cString: strerror(code.rawValue))
        }
        return ns.localizedDescription
    }
}

/// Little-endian reads at byte offsets; callers check bounds before reading.
struct ByteCursor {
    let bytes: UnsafeRawBufferPointer
    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }
    func u16(at o: Int) -> UInt16 { UInt16(bytes[o]) | UInt16(bytes[o + 1]) << 8 }
    func u32(at o: Int) -> UInt32 {
        UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24
    }
    func fourCC(at o: Int) -> String { String(decoding: bytes[o..<(o + 4)], as: UTF8.self) }
}
