import StyleGAN
import Synthesis

/// A logged performance played back: the same envelopes, beats and frame numbers through a decoder
/// set up as on stage, so `render --replay` paints the set again (same model and size: the same frames).
public final class Replay: FrameSynthesizer {
    public let frames: Int
    public let header: PerformanceLog.Header
    private let records: [PerformanceLog.Record]
    private let decoder: ParameterFreeDecoder

    public init(log: (header: PerformanceLog.Header, records: [PerformanceLog.Record]), generator: Generator) throws {
        header = log.header
        records = log.records
        frames = records.count
        decoder = try header.decoder.makeDecoder(generator: generator, fps: header.fps)
        header.apply(to: decoder)
    }

    public func frame(_ k: Int, ws: UnsafeMutablePointer<Float>) {
        let r = records[min(max(k, 0), frames - 1)]
        r.envelopes.withUnsafeBufferPointer { decoder.decode($0.baseAddress!, time: r.time ?? Double(r.frame), beat: r.beat, ws: ws) }
    }
}
