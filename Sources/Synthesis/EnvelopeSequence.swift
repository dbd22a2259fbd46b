import Features
import Foundation

/// A decoder driven by an envelope sequence: the GRU's outputs over a song, or HiPPO's optimised
/// envelopes. Offline it centres the residual motion on the whole sequence's mean; causally (as live)
/// on a running mean.
public final class EnvelopeSequence: FrameSynthesizer {
    public let frames: Int
    public let decoder: ParameterFreeDecoder
    let envelopes: [Double]
    let beats: [Double]

    /// - Parameters:
    ///   - envelopes: frames × E.
    ///   - beats: per frame, beats since the start (drives tempo-synced loops).
    ///   - causal: centre on a running mean (what the live engine can do) instead of the sequence mean.
    public init(envelopes: [Double], decoder: ParameterFreeDecoder, beats: [Double], causal: Bool) {
        let e = decoder.layout.envelopeCount
        precondition(envelopes.count % e == 0)
        frames = envelopes.count / e
        self.envelopes = envelopes
        self.decoder = decoder
        self.beats = beats
        decoder.centre = causal ? .running(seconds: 8)
            : .fixed(ParameterFreeDecoder.meanWeights(envelopes, frames: frames, layout: decoder.layout, temperature: decoder.gains.temperature))
        decoder.reset()
    }

    public func frame(_ k: Int, ws: UnsafeMutablePointer<Float>) {
        let e = decoder.layout.envelopeCount
        let t = min(max(k, 0), frames - 1)
        envelopes.withUnsafeBufferPointer { decoder.decode($0.baseAddress! + t * e, time: Double(k), beat: beats.isEmpty ? 0 : beats[min(t, beats.count - 1)], ws: ws) }
    }

    /// Beats since the start per frame, integrating a causal feature set's tempo, gated by its loudness
    /// (`rms`) as the live engine does.
    public static func beats(tempo: Feature?, rms: Feature? = nil, frames: Int, fps: Double) -> [Double] {
        var clock = BeatClock(fps: fps)
        func value(_ f: Feature?, _ k: Int) -> Double? { f.map { Double($0.values[min(k, $0.values.count - 1)]) } }
        return (0..<frames).map { k in clock.tick(bpm: value(tempo, k) ?? 120, rms: value(rms, k) ?? 1) }
    }
}

/// Beats since the start, counted frame by frame from the detected tempo: what tempo-synced loops
/// follow, offline and live alike.
public struct BeatClock: Sendable {
    public let fps: Double
    public private(set) var beat = 0.0
    public init(fps: Double) { self.fps = fps }

    /// The beat at this frame; then advances by one frame at `bpm` (120 when the tempo is unknown),
    /// scaled by how much music there is (`activity(rms:)`): in silence time stands still, so the
    /// tempo-synced loops stop and the picture holds until the music comes back.
    public mutating func tick(bpm: Double, rms: Double = 1) -> Double {
        let now = beat
        beat += (bpm.isFinite && bpm > 0 ? bpm : 120) / 60 / fps * Self.activity(rms: rms)
        return now
    }

    /// 0 below −60 dBFS RMS (silence, hum, a disconnected input), 1 above −45 dBFS, linear in dB between.
    public static func activity(rms: Double) -> Double {
        guard rms.isFinite, rms > 0 else { return 0 }
        return min(1, max(0, (20 * log10(rms) + 60) / 15))
    }
}

extension EnvelopeNetwork {
    /// Envelopes of a whole sequence of z-scored rows (frames × F), offline.
    public func envelopes(inputs: [Double], frames: Int) -> [Double] { forward(inputs: inputs, batch: 1, steps: frames).outputs }

    /// The same, one step per frame through the stateful runner: exactly what the live engine computes.
    public func causalEnvelopes(inputs: [Double], frames: Int) -> [Double] {
        let runner = EnvelopeRunner(network: self)
        var out = [Double](repeating: 0, count: frames * shape.outputs)
        inputs.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { y in
                for t in 0..<frames { runner.step(x.baseAddress! + t * shape.inputs, into: y.baseAddress! + t * shape.outputs) }
            }
        }
        return out
    }
}
