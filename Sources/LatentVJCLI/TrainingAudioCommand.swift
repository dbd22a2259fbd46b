import ArgumentParser
import AudioIn
import Basics
import Foundation

struct TrainingAudioCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "training-audio",
        abstract: "Write varied generated music (tempi, keys, modes, styles) to train envelope networks on.",
        discussion: """
        Each piece draws its tempo, key, mode, style (house, breakbeat, halftime, ambient, techno) and arrangement \
        from its seed: the same files on every machine. The shipped default envelope network was trained on these:

          latentvj training-audio -o out/training --count 24
          latentvj train out/training -o Presets/default.envelope
        """)

    @Option(name: .shortAndLong, help: "Output folder.")
    var output: String

    @Option(help: "Number of pieces.")
    var count = 24

    @Option(help: "Seed of the first piece (the others follow).")
    var seed: UInt64 = 1

    @Option(help: "Bars per piece.")
    var bars = 32

    func run() throws {
        try reportingErrors {
            guard (1...1000).contains(count) else { throw UsageError("--count must be 1–1000") }
            guard (4...512).contains(bars) else { throw UsageError("--bars must be 4–512") }
            do { try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true) } catch {
                throw FileError(output, "cannot be created")
            }
            let progress = Progress("composing \(count) pieces", total: Double(count))
            for i in 0..<count {
                let piece = TrainingMusic(seed: seed &+ UInt64(i), bars: bars)
                try WAVWriter.write(piece.render(sampleRate: 22_050), to: "\(output)/\(piece.name).wav")
                progress.update(Double(i + 1))
            }
            progress.finish()
        }
    }
}
