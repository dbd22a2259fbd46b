import ArgumentParser
import Basics
import Foundation
import Imaging
import StyleGAN

struct FrameCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "frame",
        abstract: "Render one image from a generator (for quick looks, docs and parity checks).",
        discussion: """
        --z and --ws read raw little-endian float32 (z_dim values, or num_ws × w_dim); --raw writes the image \
        as float32 CHW before any clamping, so the output can be compared with another implementation.

        Examples:
          latentvj frame --seed 3 -o frame.png                 (the untrained default model)
          latentvj frame --model network-snapshot.pkl --seed 7 --psi 0.7 -o look.png
          latentvj frame --model m.safetensors --ws ws.f32 --noise none --raw out.f32
        """)

    @OptionGroup var model: ModelOption

    @Option(help: "Seed of a random z (standard normal).")
    var seed: UInt64?

    @Option(help: "z as raw float32 (z_dim values).")
    var z: String?

    @Option(help: "ws as raw float32 (num_ws × w_dim values): per-layer latents, e.g. for style mixing.")
    var ws: String?

    @Option(help: "Truncation ψ (1 = none).")
    var psi: Float = 1

    @Option(help: "Apply truncation to the first N ws only.")
    var cutoff: Int?

    @Option(help: "Noise: const (the stored maps) or none.")
    var noise: String = "const"

    @Option(name: .shortAndLong, help: "Write a PNG.")
    var output: String?

    @Option(help: "Write the image as raw float32 CHW, before clamping.")
    var raw: String?

    func validate() throws {
        let sources = [seed != nil, z != nil, ws != nil].filter { $0 }.count
        guard sources == 1 else { throw ValidationError("give exactly one of --seed, --z and --ws") }
        guard noise == "const" || noise == "none" else { throw ValidationError("--noise must be const or none") }
        guard output != nil || raw != nil else { throw ValidationError("give -o out.png and/or --raw out.f32") }
    }

    func run() throws {
        try reportingErrors {
            let generator = try Generator(weights: model.load())
            let a = generator.architecture
            var latents: [Float]
            if let ws {
                latents = try readFloats(ws, count: a.numWs * a.wDim, what: "ws (num_ws × w_dim = \(a.numWs) × \(a.wDim))")
            } else {
                let zValues: [Float]
                if let z { zValues = try readFloats(z, count: a.zDim, what: "z (z_dim = \(a.zDim))") }
                else { var rng = SeededRandom(seed: seed!); zValues = (0..<a.zDim).map { _ in Float(rng.normal()) } }
                latents = generator.map(z: zValues, psi: psi, cutoff: cutoff)
            }
            let image = generator.synthesize(ws: latents, noise: noise == "none" ? .none : .const)
            if let raw {
                let data = image.withUnsafeBufferPointer { Data(buffer: $0) }
                do { try data.write(to: URL(fileURLWithPath: raw)) } catch { throw FileError(raw, "cannot be written") }
            }
            if let output {
                let size = a.imgResolution
                try PNGFile.write(Raster(width: size, height: size, pixels: ImageConversion.rgba(image, channels: a.imgChannels, size: size)), to: output)
            }
            let what = generator.untrained ? "\(generator.label) — UNTRAINED" : generator.label
            FileHandle.standardError.write("rendered \(a.imgResolution)×\(a.imgResolution) from \(what)\n")
            latents.removeAll()
        }
    }

    func readFloats(_ path: String, count: Int, what: String) throws -> [Float] {
        guard let data = FileManager.default.contents(atPath: path) else { throw FileError(path, "cannot be read") }
        guard data.count == 4 * count else {
            throw FileError(path, "holds \(data.count) bytes; \(what) needs \(4 * count) bytes of float32")
        }
        let values = data.withUnsafeBytes { raw in (0..<count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) } }
        guard values.allSatisfy(\.isFinite) else { throw FileError(path, "contains NaN or infinity") }
        return values
    }
}
