import Basics
import Foundation

/// Writes PCM 16/24/32-bit or float32 WAV files (the demo track, test signals, exports).
public enum WAVWriter {
    public static func encode(_ clip: AudioClip, encoding: SampleEncoding = .pcm16) -> Data {
        let bytesPerSample = encoding.bytesPerSample
        let dataSize = clip.samples.count * bytesPerSample
        var out = Data(capacity: 44 + dataSize)
        func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        out.append(contentsOf: Array("RIFF".utf8)); u32(UInt32(36 + dataSize)); out.append(contentsOf: Array("WAVE".utf8))
        out.append(contentsOf: Array("fmt ".utf8)); u32(16)
        u16(encoding == .float32 || encoding == .float64 ? WAVFormatTag.ieeeFloat : WAVFormatTag.pcm)
        u16(UInt16(clip.channels)); u32(UInt32(clip.sampleRate))
        u32(UInt32(Int(clip.sampleRate) * clip.channels * bytesPerSample))
        u16(UInt16(clip.channels * bytesPerSample)); u16(UInt16(bytesPerSample * 8))
        out.append(contentsOf: Array("data".utf8)); u32(UInt32(dataSize))
        var body = [UInt8](repeating: 0, count: dataSize)
        body.withUnsafeMutableBytes { dst in
            for (i, s) in clip.samples.enumerated() {
                let x = max(-1, min(1, s.isFinite ? s : 0))
                switch encoding {
                case .pcmUnsigned8: dst[i] = UInt8(clamping: Int((x * 127).rounded()) + 128)
                case .pcm16: dst.storeBytes(of: Int16((x * 32767).rounded()).littleEndian, toByteOffset: 2 * i, as: Int16.self)
                case .pcm24:
                    let v = Int32((x * 8_388_607).rounded())
                    dst[3 * i] = UInt8(truncatingIfNeeded: v); dst[3 * i + 1] = UInt8(truncatingIfNeeded: v >> 8)
                    dst[3 * i + 2] = UInt8(truncatingIfNeeded: v >> 16)
                case .pcm32: dst.storeBytes(of: Int32(Double(x) * 2_147_483_647).littleEndian, toByteOffset: 4 * i, as: Int32.self)
                case .float32: dst.storeBytes(of: s.bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self)
                case .float64: dst.storeBytes(of: Double(s).bitPattern.littleEndian, toByteOffset: 8 * i, as: UInt64.self)
                }
            }
        }
        out.append(contentsOf: body)
        return out
    }

    public static func write(_ clip: AudioClip, to path: String, encoding: SampleEncoding = .pcm16) throws {
        do {
            try encode(clip, encoding: encoding).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw FileError(path, "cannot be written (\(WAVReader.reason(error)))")
        }
    }
}
