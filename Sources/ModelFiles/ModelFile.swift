import Basics
import Foundation
@_exported import StyleGAN

/// The model a command runs: the file given, or the built-in untrained default model.
public enum ModelFile {
    public static func load(path: String?) throws -> GeneratorWeights {
        guard let path else { return try DefaultModel.loadOrCreate() }
        return try GeneratorCheckpoint.load(path: path).weights
    }
}


extension DefaultModel {
    /// The cached default model, created on first use.
    public static func loadOrCreate(seed: UInt64 = defaultSeed) throws -> GeneratorWeights {
        let path = cachePath(seed: seed)
        if FileManager.default.fileExists(atPath: path), let cached = try? SafeTensorsFile.load(path: path), cached.untrained {
            return cached
        }
        let weights = try make(seed: seed)
        try? FileManager.default.createDirectory(atPath: cacheFolder, withIntermediateDirectories: true)
        try? SafeTensorsFile.write(weights, to: path, dtype: .float32)   // a read-only cache only costs time
        return weights
    }
}
