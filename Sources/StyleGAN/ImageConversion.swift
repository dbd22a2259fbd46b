import Foundation

/// Converts generator output (CHW float, roughly [-1, 1]) to 8-bit pixels as the official tools do:
/// x · 127.5 + 128, clamped, truncated.
public enum ImageConversion {
    @inline(__always)
    static func byte(_ v: Float) -> UInt8 { UInt8(min(max(v * 127.5 + 128, 0), 255)) }

    /// Interleaved RGB24 (HWC). Grey images are repeated into three channels.
    public static func rgb24(_ chw: UnsafePointer<Float>, channels: Int, size: Int, into out: UnsafeMutablePointer<UInt8>) {
        let n = size * size
        for p in 0..<n {
            for c in 0..<3 { out[3 * p + c] = byte(chw[min(c, channels - 1) * n + p]) }
        }
    }

    /// RGBA bytes (for PNG and SDL textures).
    public static func rgba(_ chw: [Float], channels: Int, size: Int) -> [UInt8] {
        let n = size * size
        var out = [UInt8](repeating: 255, count: 4 * n)
        for p in 0..<n { for c in 0..<3 { out[4 * p + c] = byte(chw[min(c, channels - 1) * n + p]) } }
        return out
    }
}
