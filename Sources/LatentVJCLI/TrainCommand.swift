import ArgumentParser
import AudioIn
import Basics
import Features
import Foundation
import StyleGAN
import Synthesis

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train an envelope network (GRU) on a folder of music, self-supervised (thesis 4.2).",
        discussion: """
        The audio files are split 80/20 by file into training and validation, cut into 8-second sequences, and \
        analysed with the causal features the live engine computes. Progress shows the loss, the validation \
        correlation and an ETA; a checkpoint (NAME.envelope.checkpoint) is written as training goes, and \
        --resume continues from it. The result holds the weights, the feature statistics and the decoder layout.

        Examples:
          latentvj train music/ -o mine.envelope
          latentvj train music/ -o mine.envelope --steps 3000 --resume
          latentvj train music/ -o mine-supervised.envelope --supervised     (MSE on curated Randomizer patches)
        """)

    @Argument(help: "Folder of audio files (wav, flac, mp3, ogg…).")
    var audioFolder: String

    @Option(name: .shortAndLong, help: "Output envelope network file.")
    var output: String

    @OptionGroup var model: ModelOption

    @Option(help: "Optimisation steps.")
    var steps = 1500

    @Option(help: "Sequences per batch.")
    var batch = 32

    @Option(help: "Peak learning rate (warm-up, then cosine decay to 1/100 of it).")
    var learningRate = 3e-3

    @Option(help: "Hidden units per GRU layer.")
    var hidden = 17

    @Option(help: "GRU layers.")
    var layers = 4

    @Option(help: "Frames per second.")
    var fps: Double = 24

    @Option(help: "Seed (initial weights, batches, split).")
    var seed: UInt64 = 1

    @Option(help: "Validate and checkpoint every N steps.")
    var validateEvery = 100

    @Flag(help: "Continue from NAME.envelope.checkpoint.")
    var resume = false

    @Flag(help: "Supervised objective: MSE against the best of several Randomizer patches per file (thesis 4.2.2).")
    var supervised = false

    @Flag(help: "No progress output.")
    var quiet = false

    func run() throws {
        try reportingErrors {
            guard (1...1_000_000).contains(steps), (1...1024).contains(batch), (1...256).contains(hidden), (1...8).contains(layers) else {
                throw UsageError("--steps, --batch, --hidden or --layers is out of range")
            }
            let started = Date()
            let files = try TrainingFiles(folder: audioFolder, seed: seed)
            if !quiet { FileHandle.standardError.write("\(files.training.count) training files, \(files.validation.count) validation files\n") }
            let generator = try Generator(weights: try model.load())
            let analyse = { (paths: [String]) throws -> [TrainingSet.Song] in
                try paths.map { path in
                    let song = try SongAnalysis(path: path, fps: fps, quiet: true)
                    return TrainingSet.Song(name: (path as NSString).lastPathComponent, rows: song.rows)
                }
            }
            let trainSongs = try analyse(files.training), validationSongs = try analyse(files.validation)
            let statistics = FeatureStatistics(rows: trainSongs.map(\.rows), width: CausalLayout.width)
            let frames = Int((8 * fps).rounded())
            let offsets = (0..<4).map { Int((Double($0) * fps).rounded()) }
            let trainingSet = TrainingSet(songs: trainSongs, statistics: statistics, frames: frames, offsets: offsets)
            let validationSet = TrainingSet(songs: validationSongs, statistics: statistics, frames: frames, offsets: [0])
            guard !trainingSet.sequences.isEmpty else { throw UsageError("the training files are shorter than one 8-second sequence") }
            if !quiet { FileHandle.standardError.write("\(trainingSet.sequences.count) training sequences, \(validationSet.sequences.count) validation sequences\n") }

            let layout = DecoderLayout.standard
            let shape = EnvelopeNetworkShape(inputs: CausalLayout.width, hidden: hidden, layers: layers, outputs: layout.envelopeCount)
            let network = EnvelopeNetwork(shape: shape, seed: seed)
            var options = EnvelopeTrainer.Options()
            options.steps = steps; options.batch = batch; options.learningRate = learningRate
            options.finalLearningRate = learningRate / 100; options.seed = seed; options.validateEvery = validateEvery
            let objective: TrainingObjective = supervised
                ? try SupervisedTargets.objective(files: files.training, songs: trainSongs, set: trainingSet, generator: generator, fps: fps, quiet: quiet)
                : .selfSupervised
            let trainer = try EnvelopeTrainer(network: network, training: trainingSet, validation: validationSet, generator: generator,
                                              layout: layout, fps: fps, options: options, objective: objective)
            let checkpointPath = output + ".checkpoint"
            if resume {
                let checkpoint = try JSONFile.read(EnvelopeTrainer.Checkpoint.self, path: checkpointPath, what: "training checkpoint")
                guard checkpoint.parameters.count == network.parameters.count else {
                    throw FileError(checkpointPath, "belongs to a network of another shape")
                }
                trainer.restore(checkpoint)
                if !quiet { FileHandle.standardError.write("resuming at step \(checkpoint.step)\n") }
            }
            let objectiveName = supervised ? "supervised" : "self-supervised"
            func save(_ validation: Double) throws {
                let record = EnvelopeModelFile.TrainingRecord(
                    steps: trainer.step, trainingFiles: trainSongs.map(\.name), validationFiles: validationSongs.map(\.name),
                    validationCorrelation: validation, seconds: Date().timeIntervalSince(started),
                    command: CommandLine.arguments.dropFirst().joined(separator: " "))
                try EnvelopeModelFile(objective: objectiveName, network: network, statistics: statistics, layout: layout,
                                      fps: fps, training: record).save(path: output)
                try JSONFile.write(trainer.checkpoint, path: checkpointPath)
            }
            var validation = trainer.validate()
            let progress = Progress("training", total: Double(steps), enabled: !quiet)
            var recent = [Double]()
            while trainer.step < steps {
                let loss = trainer.trainStep()
                recent.append(loss); if recent.count > 20 { recent.removeFirst() }
                if trainer.step % validateEvery == 0 || trainer.step == steps {
                    validation = trainer.validate()
                    try save(validation)
                }
                progress.update(Double(trainer.step), detail: String(format: "step %d loss %.3f validation correlation %.3f",
                                                                     trainer.step, recent.reduce(0, +) / Double(recent.count), validation))
            }
            progress.finish()
            try save(validation)
            if !quiet {
                FileHandle.standardError.write(String(format: "validation correlation %.3f; wrote %@ (%.0f s)\n", validation, output, Date().timeIntervalSince(started)))
            }
        }
    }
}

/// The audio files of a folder, split 80/20 by file with a seeded shuffle.
struct TrainingFiles {
    let training: [String], validation: [String]

    static let extensions: Set<String> = ["wav", "flac", "mp3", "ogg", "oga", "opus", "m4a", "aac", "aiff", "aif"]

    init(folder: String, seed: UInt64) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw FileError(folder, "is not a folder")
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        var paths = names.filter { Self.extensions.contains(($0 as NSString).pathExtension.lowercased()) }.sorted().map { "\(folder)/\($0)" }
        guard paths.count >= 2 else { throw FileError(folder, "holds \(paths.count) audio file(s); training needs at least 2 (80/20 split by file)") }
        var rng = SeededRandom(seed: seed)
        for i in stride(from: paths.count - 1, to: 0, by: -1) { paths.swapAt(i, Int(rng.uniform() * Double(i + 1))) }
        let validationCount = max(1, paths.count / 5)
        validation = Array(paths.prefix(validationCount)).sorted()
        training = Array(paths.dropFirst(validationCount)).sorted()
    }
}
