/// The sample encodings LatentVJ reads and writes natively.
public enum SampleEncoding: Equatable, Sendable {
    case pcmUnsigned8, pcm16, pcm24, pcm32, float32, float64

    public var bytesPerSample: Int {
        switch self {
        case .pcmUnsigned8: return 1
        case .pcm16: return 2
        case .pcm24: return 3
        case .pcm32, .float32: return 4
        case .float64: return 8
        }
    }

    static func from(formatTag: UInt16, bits: Int) -> SampleEncoding? {
        switch (formatTag, bits) {
        case (1, 8): return .pcmUnsigned8
        case (1, 16): return .pcm16
        case (1, 24): return .pcm24
        case (1, 32): return .pcm32
        case (3, 32): return .float32
        case (3, 64): return .float64
        default: return nil
        }
    }
}

/// WAVE format tags.
enum WAVFormatTag {
    static let pcm: UInt16 = 1
    static let ieeeFloat: UInt16 = 3
    static let extensible: UInt16 = 0xFFFE
    /// The tail shared by the KSDATAFORMAT_SUBTYPE GUIDs (after the 2-byte format tag and 2 zero bytes).
    static let subformatTail: [UInt8] = [0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71]
}

/// Limits that separate a real recording from a corrupt header.
enum WAVLimits {
    static let channels = 1...64
    static let sampleRate = 1_000...768_000
}
