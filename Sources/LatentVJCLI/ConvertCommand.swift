import ArgumentParser
import Basics
import Foundation
import ModelFiles
import StyleGAN

/// --dtype values (a type of its own: conforming StyleGAN's DType here would be a retroactive conformance).
enum StoredDType: String, ExpressibleByArgument, CaseIterable {
    case float32, float16
    var safeTensors: SafeTensorsFile.DType { self == .float32 ? .float32 : .float16 }
}

struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a stylegan2-ada-pytorch .pkl into LatentVJ's .safetensors model format.",
        discussion: """
        Reads the generator ('G_ema') of a network snapshot without Python or PyTorch (nothing in the \
        pickle is run) and writes it as safetensors, which loads faster and can be memory-mapped. \
        float16 halves the file; the engine always computes in float32.

        Examples:
          latentvj convert network-snapshot-001000.pkl -o abstract.safetensors
          latentvj convert network-snapshot-001000.pkl -o abstract-f16.safetensors --dtype float16
        """)

    @Argument(help: "stylegan2-ada-pytorch network snapshot (.pkl); a .safetensors file is re-written.")
    var model: String

    @Option(name: .shortAndLong, help: "Output .safetensors file.")
    var output: String

    @Option(help: "Stored precision: float32 or float16.")
    var dtype: StoredDType = .float32

    func run() throws {
        try reportingErrors {
            let loaded = try GeneratorCheckpoint.load(path: model)
            try SafeTensorsFile.write(loaded.weights, to: output, dtype: dtype.safeTensors)
            let bytes = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0
            print(ModelSummary.text(loaded, path: model))
            print(String(format: "wrote %@ (%@, %.1f MB)", output, dtype.rawValue, Double(bytes) / 1e6))
        }
    }
}
