import AudioIn
import Foundation
import Synthesis

/// The performance log of a live set: a header (decoder setup, gains, frame rate, audio) and per frame
/// of music (each feature row, 1/fps s of audio: the state's clock) the audio position, the beat, the
/// envelopes and the parameters — enough for `latentvj render --replay` to paint the set again, with
/// any model and size, at the full frame rate even where the stage's renderer fell behind. `frame`
/// names the rendered frame that showed the state; the last record of each `frame` is what the stage
/// showed (version 1 logs had one record per rendered frame).
///
/// The frame producer only copies a fixed-size record into a lock-free ring (`add`); the main loop calls
/// `flush`, which writes JSON lines.
public final class PerformanceLog: @unchecked Sendable {
    public struct Header: Codable, Equatable {
        public var format = "latentvj-performance-log"
        public var version = 2
        public var fps: Double
        public var sampleRate: Double
        public var audio: String?
        public var model: String
        public var decoder: DecoderSetup
        /// The gains at the start: only in logs without `parameters` (version 1), whose records do not
        /// hold them; a log with parameters has every gain in every record and does not repeat them here.
        public var amplitude: [Double]?, noiseSigma: [Double]?
        public var intensity: Double?, psi: Double?, temperature: Double?, smoothing: Double?, loopBars: Double?
        public var residual: Bool?
        public var centreSeconds: Double
        /// Names of the values in every record's `parameters`, in order (absent in early logs).
        public var parameters: [String]?

        /// The feature groups behind the `weight.*` parameters.
        public var featureGroups: [String] {
            (parameters ?? []).filter { $0.hasPrefix("weight.") }.map { String($0.dropFirst(7)) }
        }
    }

    public struct Record: Codable, Equatable {
        public var frame: Int
        public var audio: Int
        public var beat: Double
        /// Frames of musical time (the noise phase); logs written before it existed use `frame`.
        public var time: Double?
        public var envelopes: [Double]
        /// Every parameter's value at this frame (palette numbers are the seeds), named in the header.
        public var parameters: [Double]?
    }

    public let path: String
    private let envelopeCount: Int
    private let parameterCount: Int
    private let ring: SPSCRing<Double>
    private let handle: FileHandle
    private let scratch: UnsafeMutablePointer<Double>
    public private(set) var written = 0

    public init(path: String, header: Header) throws {
        self.path = path
        envelopeCount = header.decoder.layout.envelopeCount
        parameterCount = header.parameters?.count ?? 0
        guard FileManager.default.createFile(atPath: path, contents: nil), let h = FileHandle(forWritingAtPath: path) else {
            throw FileError(path, "cannot be created for the performance log")
        }
        handle = h
        ring = SPSCRing(minimumCapacity: 4096 * (4 + envelopeCount + parameterCount))
        scratch = .allocate(capacity: 4 + envelopeCount + parameterCount)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try handle.write(contentsOf: encoder.encode(header) + Data("\n".utf8))
    }

    deinit { ring.deallocate(); scratch.deallocate(); try? handle.close() }

    /// Frame producer: one row's record. Copies only.
    public func add(frame: Int, audioPosition: Int, beat: Double, time: Double, envelopes: UnsafePointer<Double>,
                    parameters: UnsafePointer<Double>? = nil) {
        scratch[0] = Double(frame); scratch[1] = Double(audioPosition); scratch[2] = beat; scratch[3] = time
        for i in 0..<envelopeCount { scratch[fixed + i] = envelopes[i] }
        for i in 0..<parameterCount { scratch[fixed + envelopeCount + i] = parameters?[i] ?? 0 }
        let width = fixed + envelopeCount + parameterCount
        if ring.availableToWrite >= width { _ = ring.write(scratch, count: width) }
    }

    /// Values before the envelopes in a queued record: frame, audio position, beat, time.
    private let fixed = 4

    /// Main loop: writes the queued records as JSON lines.
    public func flush() {
        let width = fixed + envelopeCount + parameterCount
        var values = [Double](repeating: 0, count: width)
        var text = ""
        while ring.count >= width {
            _ = values.withUnsafeMutableBufferPointer { ring.read(into: $0.baseAddress!, maxCount: width) }
            // %.17g keeps every bit of a double, so a replay decodes exactly what the stage decoded.
            let env = values[fixed..<(fixed + envelopeCount)].map { String(format: "%.17g", $0) }.joined(separator: ",")
            let params = values[(fixed + envelopeCount)...].map { String(format: "%.17g", $0) }.joined(separator: ",")
            text += "{\"audio\":\(Int(values[1])),\"beat\":\(String(format: "%.17g", values[2])),\"envelopes\":[\(env)],\"frame\":\(Int(values[0]))"
                + (parameterCount > 0 ? ",\"parameters\":[\(params)]" : "") + ",\"time\":\(String(format: "%.17g", values[3]))}\n"
            written += 1
        }
        if !text.isEmpty { try? handle.write(contentsOf: Data(text.utf8)) }
    }

    /// Reads a log: its header and every complete record (a line cut by a crash is left out).
    public static func read(path: String) throws -> (header: Header, records: [Record]) {
        guard let data = FileManager.default.contents(atPath: path) else { throw FileError(path, "cannot be read") }
        let lines = data.split(separator: UInt8(ascii: "\n"))
        guard let first = lines.first else { throw FileError(path, "is empty: not a performance log") }
        let decoder = JSONDecoder()
        let header: Header
        do { header = try decoder.decode(Header.self, from: Data(first)) } catch { throw FileError(path, "does not start with a performance-log header") }
        guard header.format == "latentvj-performance-log", [1, 2].contains(header.version) else {
            throw FileError(path, "is not a LatentVJ performance log of version 1 or 2 (this LatentVJ reads those)")
        }
        var records = [Record]()
        for line in lines.dropFirst() {
            guard let r = try? decoder.decode(Record.self, from: Data(line)), r.envelopes.count == header.decoder.layout.envelopeCount,
                  r.envelopes.allSatisfy(\.isFinite), (r.parameters?.count ?? 0) == (header.parameters?.count ?? 0),
                  r.parameters?.allSatisfy(\.isFinite) ?? true else { continue }
            records.append(r)
        }
        return (header, records)
    }
}

extension PerformanceLog.Header {
    /// The header of a decoder as it is set now.
    /// With `parameters` (the live engine's logs) the records hold every gain; without, the header
    /// keeps the decoder's gains as they are now.
    public init(decoder: ParameterFreeDecoder, setup: DecoderSetup, fps: Double, sampleRate: Double, audio: String?, model: String,
                centreSeconds: Double, parameters: [String]? = nil) {
        self.init(fps: fps, sampleRate: sampleRate, audio: audio, model: model, decoder: setup, centreSeconds: centreSeconds, parameters: parameters)
        guard parameters == nil else { return }
        let g = decoder.gains
        amplitude = g.amplitude; noiseSigma = g.noiseSigma
        intensity = g.intensity; psi = g.psi; temperature = g.temperature; smoothing = g.smoothing; loopBars = g.loopBars
        residual = g.residual
    }

    /// Applies the logged gains (those the header holds) to a decoder.
    public func apply(to decoder: ParameterFreeDecoder) {
        if let amplitude, amplitude.count == decoder.gains.amplitude.count { decoder.gains.amplitude = amplitude }
        if let noiseSigma, noiseSigma.count == decoder.gains.noiseSigma.count { decoder.gains.noiseSigma = noiseSigma }
        if let intensity { decoder.gains.intensity = intensity }
        if let psi { decoder.gains.psi = psi }
        if let temperature { decoder.gains.temperature = temperature }
        if let smoothing { decoder.gains.smoothing = smoothing }
        if let loopBars { decoder.gains.loopBars = loopBars }
        if let residual { decoder.gains.residual = residual }
        decoder.centre = .running(seconds: centreSeconds)
    }
}

import Basics
