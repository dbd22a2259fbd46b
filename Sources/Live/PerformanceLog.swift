import AudioIn
import Foundation
import Synthesis

/// The performance log of a live set: a header (decoder setup, gains, frame rate, audio) and per frame
/// the audio position, the beat and the envelopes that drew it — enough for `latentvj render --replay`
/// to paint the same frames again, with any model and size.
///
/// The frame producer only copies a fixed-size record into a lock-free ring (`add`); the main loop calls
/// `flush`, which writes JSON lines.
public final class PerformanceLog: @unchecked Sendable {
    public struct Header: Codable, Equatable {
        public var format = "latentvj-performance-log"
        public var version = 1
        public var fps: Double
        public var sampleRate: Double
        public var audio: String?
        public var model: String
        public var decoder: DecoderSetup
        public var amplitude: [Double], noiseSigma: [Double]
        public var intensity: Double, psi: Double, temperature: Double, smoothing: Double, loopBars: Double
        public var residual: Bool
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

    /// Frame producer: one frame's record. Copies only.
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
        guard header.format == "latentvj-performance-log", header.version == 1 else { throw FileError(path, "is not a version-1 LatentVJ performance log") }
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
    public init(decoder: ParameterFreeDecoder, setup: DecoderSetup, fps: Double, sampleRate: Double, audio: String?, model: String,
                centreSeconds: Double, parameters: [String]? = nil) {
        let g = decoder.gains
        self.init(fps: fps, sampleRate: sampleRate, audio: audio, model: model, decoder: setup, amplitude: g.amplitude, noiseSigma: g.noiseSigma,
                  intensity: g.intensity, psi: g.psi, temperature: g.temperature, smoothing: g.smoothing, loopBars: g.loopBars,
                  residual: g.residual, centreSeconds: centreSeconds, parameters: parameters)
    }

    /// Applies the logged gains to a decoder.
    public func apply(to decoder: ParameterFreeDecoder) {
        decoder.gains.amplitude = amplitude
        if noiseSigma.count == decoder.gains.noiseSigma.count { decoder.gains.noiseSigma = noiseSigma }
        decoder.gains.intensity = intensity; decoder.gains.psi = psi; decoder.gains.temperature = temperature
        decoder.gains.smoothing = smoothing; decoder.gains.loopBars = loopBars; decoder.gains.residual = residual
        decoder.centre = .running(seconds: centreSeconds)
    }
}

import Basics
