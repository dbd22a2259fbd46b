import Basics
import Features
import Foundation

/// A trained envelope network (`latentvj train`): weights, the feature statistics it was trained with,
/// the causal feature layout it reads and the decoder layout it writes. A file that does not fit the
/// features or the model it is used with is refused with the reason.
public struct EnvelopeModelFile: Codable, Equatable {
    public static let format = "latentvj-envelope-network"
    public var format = Self.format
    public var version = 1
    /// "self-supervised" or "supervised".
    public var objective: String
    public var shape: EnvelopeNetworkShape
    public var parameters: [Double]
    public var statistics: FeatureStatistics
    /// Column names and sizes of the causal feature rows the network reads.
    public var features: [FeatureColumn]
    public var layout: DecoderLayout
    public var fps: Double
    public var training: TrainingRecord

    public struct FeatureColumn: Codable, Equatable, Sendable {
        public var name: String
        public var dims: Int
        public init(name: String, dims: Int) { self.name = name; self.dims = dims }
    }

    public struct TrainingRecord: Codable, Equatable {
        public var steps: Int
        public var trainingFiles: [String]
        public var validationFiles: [String]
        public var validationCorrelation: Double
        public var seconds: Double
        public var command: String

        public init(steps: Int, trainingFiles: [String], validationFiles: [String], validationCorrelation: Double,
                    seconds: Double, command: String) {
            self.steps = steps; self.trainingFiles = trainingFiles; self.validationFiles = validationFiles
            self.validationCorrelation = validationCorrelation; self.seconds = seconds; self.command = command
        }
    }

    public init(objective: String, network: EnvelopeNetwork, statistics: FeatureStatistics, layout: DecoderLayout,
                fps: Double, training: TrainingRecord) {
        self.objective = objective
        shape = network.shape
        parameters = network.parameters
        self.statistics = statistics
        features = CausalLayout.columns.map { FeatureColumn(name: $0.name, dims: $0.dims) }
        self.layout = layout
        self.fps = fps
        self.training = training
    }

    public static func load(path: String) throws -> EnvelopeModelFile {
        let file = try JSONFile.read(EnvelopeModelFile.self, path: path, what: "envelope network")
        try file.validate(path: path)
        return file
    }

    public func save(path: String) throws { try JSONFile.write(self, path: path) }

    public func network(path: String) throws -> EnvelopeNetwork {
        do { return try EnvelopeNetwork(shape: shape, parameters: parameters) } catch { throw FileError(path, "\(error)") }
    }

    func validate(path: String) throws {
        guard format == Self.format else { throw FileError(path, "is a '\(format)' file, not a LatentVJ envelope network") }
        guard version == 1 else { throw FileError(path, "has envelope-network format version \(version); this LatentVJ reads version 1") }
        guard ["self-supervised", "supervised"].contains(objective) else { throw FileError(path, "has an unknown objective '\(objective)'") }
        let expected = CausalLayout.columns.map { FeatureColumn(name: $0.name, dims: $0.dims) }
        guard features == expected else {
            throw FileError(path, "was trained on other features (\(features.map(\.name).joined(separator: ", "))) than this LatentVJ computes")
        }
        guard shape.inputs == CausalLayout.width else { throw FileError(path, "reads \(shape.inputs) features; the causal set has \(CausalLayout.width)") }
        guard (1...1024).contains(shape.hidden), (1...16).contains(shape.layers) else { throw FileError(path, "has an implausible network shape \(shape)") }
        guard shape.outputs == layout.envelopeCount else {
            throw FileError(path, "writes \(shape.outputs) envelopes but its decoder layout (\(layout)) takes \(layout.envelopeCount)")
        }
        guard parameters.count == shape.parameterCount else {
            throw FileError(path, "holds \(parameters.count) parameters; its shape needs \(shape.parameterCount) (truncated or edited?)")
        }
        guard parameters.allSatisfy(\.isFinite) else { throw FileError(path, "holds NaN or infinite weights") }
        guard statistics.mean.count == shape.inputs, statistics.std.count == shape.inputs,
              statistics.mean.allSatisfy(\.isFinite), statistics.std.allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw FileError(path, "has invalid feature statistics")
        }
        guard fps.isFinite, fps > 0, fps <= 240 else { throw FileError(path, "has an invalid frame rate \(fps)") }
    }
}
