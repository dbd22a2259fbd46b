import ArgumentParser
import Basics
import Foundation
import ModelFiles
import StyleGAN

struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Inspect and create generator models.",
        subcommands: [ModelInfo.self, ModelInit.self])
}

struct ModelInfo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Describe a generator model: resolution, dimensions, channels, layers, size.",
        discussion: """
        FILE is a stylegan2-ada-pytorch network snapshot (.pkl) or a LatentVJ .safetensors file; the \
        content decides, not the extension.

        Examples:
          latentvj model info network-snapshot-001000.pkl
          latentvj model info abstract.safetensors --json
        """)

    @Argument(help: "Model file (.pkl or .safetensors).")
    var file: String

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func run() throws {
        try reportingErrors {
            let loaded = try GeneratorCheckpoint.load(path: file)
            if json {
                let data = try JSONSerialization.data(withJSONObject: ModelSummary.json(loaded, path: file), options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
                FileHandle.standardOutput.write(data)
                print()
            } else {
                print(ModelSummary.text(loaded, path: file))
            }
        }
    }
}

/// What `model info` and `convert` print about a generator.
enum ModelSummary {
    /// Buffers (not trained parameters) of a stylegan2-ada-pytorch generator.
    static func isBuffer(_ name: String) -> Bool {
        name.hasSuffix(".w_avg") || name.hasSuffix(".noise_const") || name.hasSuffix(".resample_filter")
    }

    static func counts(_ weights: GeneratorWeights) -> (parameters: Int, buffers: Int) {
        var p = 0, b = 0
        for (name, t) in weights.tensors { if isBuffer(name) { b += t.count } else { p += t.count } }
        return (p, b)
    }

    static func grouped(_ n: Int) -> String {
        let f = NumberFormatter()
        f.numberStyle = .decimal
        f.groupingSeparator = ","
        f.usesGroupingSeparator = true
        return f.string(from: NSNumber(value: n)) ?? String(n)
    }

    static func text(_ loaded: LoadedCheckpoint, path: String) -> String {
        let w = loaded.weights, a = w.architecture
        let (parameters, buffers) = counts(w)
        var lines = [String]()
        if w.untrained { lines.append("UNTRAINED demo model: random weights, for trying LatentVJ out; load your own .pkl for real use") }
        lines.append("file:           \(path) (\(loaded.format.rawValue), \(loaded.storedDType))")
        lines.append("label:          \(w.label)")
        lines.append("resolution:     \(a.imgResolution)×\(a.imgResolution), \(a.imgChannels) channels")
        lines.append("z / w / c dims: \(a.zDim) / \(a.wDim) / \(a.cDim)\(a.cDim == 0 ? " (unconditional)" : " (conditional)")")
        lines.append("channels:       base \(a.channelBase), max \(a.channelMax): "
            + a.blockResolutions.map { "b\($0) \(a.channels(at: $0))" }.joined(separator: ", "))
        lines.append("mapping:        \(a.mappingLayers) layers, lr multiplier \(a.mappingLrMultiplier)")
        lines.append("num_ws:         \(a.numWs)")
        lines.append("conv_clamp:     \(a.convClamp.map { String(format: "%g", $0) } ?? "none")")
        lines.append("architecture:   \(a.architecture)")
        lines.append("parameters:     \(grouped(parameters)) (+ \(grouped(buffers)) in buffers)")
        return lines.joined(separator: "\n")
    }

    static func json(_ loaded: LoadedCheckpoint, path: String) -> [String: Any] {
        let w = loaded.weights, a = w.architecture
        let (parameters, buffers) = counts(w)
        return [
            "file": path,
            "format": loaded.format.rawValue,
            "dtype": loaded.storedDType,
            "label": w.label,
            "untrained": w.untrained,
            "img_resolution": a.imgResolution,
            "img_channels": a.imgChannels,
            "z_dim": a.zDim,
            "w_dim": a.wDim,
            "c_dim": a.cDim,
            "channel_base": a.channelBase,
            "channel_max": a.channelMax,
            "channels": a.blockResolutions.map { ["resolution": $0, "channels": a.channels(at: $0)] },
            "mapping_layers": a.mappingLayers,
            "mapping_lr_multiplier": Double("\(a.mappingLrMultiplier)") ?? Double(a.mappingLrMultiplier),  // 0.01, not 0.009999999776
            "num_ws": a.numWs,
            "conv_clamp": a.convClamp.map { (Double("\($0)") ?? Double($0)) as Any } ?? NSNull(),
            "architecture": a.architecture,
            "parameters": parameters,
            "buffer_elements": buffers,
        ]
    }
}

struct ModelInit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create (and cache) the untrained default model: 128 px, channel_base 4096, channel_max 256.",
        discussion: """
        The engine does this by itself on first use; run it ahead of a show so the first start is instant. \
        The model is seeded and deterministic: the same seed gives the same file on every machine. It is \
        UNTRAINED: it paints colour fields that react to music, not pictures of anything.
        """)

    @Option(help: "Seed of the random weights.")
    var seed: UInt64 = DefaultModel.defaultSeed

    @Option(name: .shortAndLong, help: "Also write it to this file (default: only the cache).")
    var output: String?

    @OptionGroup(title: "Another shape (with --output): an untrained model of that shape, to measure what a bigger model costs live")
    var shape: ModelShapeOption

    func run() throws {
        try reportingErrors {
            if let a = try shape.architecture() {
                guard let output else { throw UsageError("--config and --size write a model file: give --output") }
                let weights: GeneratorWeights
                do { weights = try DefaultModel.make(seed: seed, architecture: a) } catch { throw UsageError("\(error)") }
                try SafeTensorsFile.write(weights, to: output, dtype: .float32)
                print("wrote \(output): untrained \(a.imgResolution) px (channel_base \(a.channelBase), channel_max \(a.channelMax), seed \(seed))")
                return
            }
            let weights = try DefaultModel.loadOrCreate(seed: seed)
            print("default model: \(weights.label), cached at \(DefaultModel.cachePath(seed: seed))")
            if let output {
                try SafeTensorsFile.write(weights, to: output, dtype: .float32)
                print("wrote \(output)")
            }
        }
    }
}
