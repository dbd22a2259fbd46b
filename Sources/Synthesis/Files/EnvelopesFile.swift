import Basics
import Foundation

/// A song's optimised envelopes (`latentvj optimize`): HiPPO coefficients plus the decoder setup they
/// were optimised for. Refused, with the reason, when it does not fit the song or the model.
public struct EnvelopesFile: Codable, Equatable {
    public static let format = "latentvj-envelopes"
    public var format = Self.format
    public var version = 1
    public var synthesizer = "hippo"
    public var audio: String
    public var fps: Double
    public var frames: Int
    public var decoder: DecoderSetup
    public var basisCount: Int
    public var basisPadding: Int
    /// basisCount × envelopes, row-major.
    public var coefficients: [Double]
    public var featureWeights: [String: Double]
    public var correlation: Double
    public var steps: Int

    public init(audio: String, fps: Double, frames: Int, decoder: DecoderSetup, basis: LegendreBasis, coefficients: [Double],
                featureWeights: [String: Double], correlation: Double, steps: Int) {
        self.audio = audio; self.fps = fps; self.frames = frames; self.decoder = decoder
        basisCount = basis.count; basisPadding = basis.padding
        self.coefficients = coefficients; self.featureWeights = featureWeights
        self.correlation = correlation; self.steps = steps
    }

    public static func load(path: String) throws -> EnvelopesFile {
        let file = try JSONFile.read(EnvelopesFile.self, path: path, what: "envelopes file")
        try file.validate(path: path)
        return file
    }

    public func save(path: String) throws { try JSONFile.write(self, path: path) }

    func validate(path: String) throws {
        guard format == Self.format else { throw FileError(path, "is a '\(format)' file, not LatentVJ envelopes") }
        guard version == 1 else { throw FileError(path, "has envelopes format version \(version); this LatentVJ reads version 1") }
        guard fps.isFinite, fps > 0, fps <= 240 else { throw FileError(path, "has an invalid frame rate \(fps)") }
        guard frames > 0, frames < 24 * 3600 * 24 else { throw FileError(path, "has an invalid frame count \(frames)") }
        guard (1...4096).contains(basisCount), (0...100_000).contains(basisPadding) else { throw FileError(path, "has an invalid basis (\(basisCount) coefficients, padding \(basisPadding))") }
        do { try decoder.validate() } catch { throw FileError(path, "has an invalid decoder setup: \(error)") }
        guard coefficients.count == basisCount * decoder.layout.envelopeCount else {
            throw FileError(path, "holds \(coefficients.count) coefficients; \(basisCount) × \(decoder.layout.envelopeCount) envelopes were expected")
        }
        guard coefficients.allSatisfy(\.isFinite) else { throw FileError(path, "holds NaN or infinite coefficients") }
    }

    /// frames × E envelopes.
    public func envelopes() -> [Double] {
        HiPPOOptimizer.envelopes(basis: LegendreBasis(frames: frames, count: basisCount, padding: basisPadding),
                                 coefficients: coefficients, envelopeCount: decoder.layout.envelopeCount)
    }

    /// Refuses envelopes made for other audio (frame count) or another frame rate.
    public func check(frames songFrames: Int, fps songFps: Double, path: String) throws {
        guard abs(fps - songFps) < 1e-6 else { throw FileError(path, "was optimised at \(fps) fps; this render runs at \(songFps) fps (use --fps \(fps))") }
        guard abs(frames - songFrames) <= 1 else {
            throw FileError(path, "was optimised for \(frames) frames of '\(audio)'; this audio has \(songFrames) frames (a different song or cut?)")
        }
    }
}
