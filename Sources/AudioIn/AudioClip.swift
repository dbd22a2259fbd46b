/// Decoded audio in memory: interleaved float samples in [-1, 1] at the file's own sample rate.
public struct AudioClip: Sendable {
    public let sampleRate: Double
    public let channels: Int
    /// Interleaved: frame i, channel c is at `samples[i * channels + c]`.
    public let samples: [Float]

    public init(sampleRate: Double, channels: Int, samples: [Float]) {
        precondition(channels > 0 && samples.count % channels == 0, "interleaved samples must fill whole frames")
        self.sampleRate = sampleRate
        self.channels = channels
        self.samples = samples
    }

    public var frameCount: Int { samples.count / channels }
    public var duration: Double { Double(frameCount) / sampleRate }

    /// Mean of the channels: what every feature extractor analyses.
    public func mono() -> [Float] {
        if channels == 1 { return samples }
        var out = [Float](repeating: 0, count: frameCount)
        let scale = 1 / Float(channels)
        samples.withUnsafeBufferPointer { src in
            for i in 0..<frameCount {
                var sum: Float = 0
                for c in 0..<channels { sum += src[i * channels + c] }
                out[i] = sum * scale
            }
        }
        return out
    }

    /// The frames in `range` (clamped to the clip), all channels.
    public func slice(frames range: Range<Int>) -> AudioClip {
        let lo = max(0, range.lowerBound), hi = min(frameCount, range.upperBound)
        guard hi > lo else { return AudioClip(sampleRate: sampleRate, channels: channels, samples: []) }
        return AudioClip(sampleRate: sampleRate, channels: channels,
                         samples: Array(samples[(lo * channels)..<(hi * channels)]))
    }
}
