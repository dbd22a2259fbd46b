import ArgumentParser
import AudioIn
import Basics
import Correlation
import Features
import Foundation
import Imaging
import StyleGAN
import Synthesis

struct StudyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "study",
        abstract: "The thesis's studies: the correlation's validation (section 3.4) and the synthesizers (chapter 5).",
        subcommands: [StudyGroups.self, StudySmoothness.self, StudySynthesizers.self])
}

/// Options shared by both studies.
struct StudyOptions: ParsableArguments {
    @Argument(help: "Audio files (WAV natively, anything else through ffmpeg).")
    var audio: [String]

    @Option(help: "Snippets per audio file.")
    var snippets = 4

    @Option(help: "Seconds per snippet.")
    var seconds = 16.0

    @Option(help: "Frames per second.")
    var fps = 24.0

    @OptionGroup var model: ModelOption

    @Option(help: "Seed of the snippet positions and the random latents.")
    var seed: UInt64 = 1

    @Option(name: .shortAndLong, help: "Folder for the plots and the JSON results.")
    var output = "study"

    @Flag(help: "Print JSON instead of tables.")
    var json = false

    @Flag(help: "No progress output.")
    var quiet = false

    func validate() throws {
        guard !audio.isEmpty else { throw ValidationError("give at least one audio file") }
        guard snippets >= 1, seconds >= 2, fps >= 4 else { throw ValidationError("need --snippets ≥ 1, --seconds ≥ 2, --fps ≥ 4") }
    }

    /// Offline features of every file, and the snippet windows of each.
    func snippetFeatures() throws -> [(file: String, features: FeatureSet)] {
        var out = [(String, FeatureSet)]()
        for (i, path) in audio.enumerated() {
            let clip = try AudioFile.read(path: path)
            let features = try OfflineExtractor(fps: fps).extract(mono: clip.mono(), sampleRate: clip.sampleRate)
            for window in StudyRunner.snippets(frames: features.frames, length: Int(seconds * fps), count: snippets, seed: seed &+ UInt64(i)) {
                out.append((path, features.slice(frames: window)))
            }
        }
        return out
    }

    func prepareOutput() throws {
        do { try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true) }
        catch { throw FileError(output, "cannot be created as a folder") }
    }

    func writeJSON(_ doc: [String: Any], name: String) throws -> Data {
        let data = try JSONSerialization.data(withJSONObject: doc, options: [.prettyPrinted, .sortedKeys])
        do { try data.write(to: URL(fileURLWithPath: "\(output)/\(name)")) } catch { throw FileError("\(output)/\(name)", "cannot be written") }
        return data
    }
}

struct StudyGroups: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "groups",
        abstract: "Render snippets with each interpolation group, score them with every matrix correlation, compare.",
        discussion: """
        Groups: none, random, onsets, chroma, onsets+chroma (see Docs/correlation.md). PWCCA needs at least as \
        many frames per snippet as features (248 video features: 16 s at 24 fps is enough); below that it \
        is reported as unavailable (null in JSON, nan in tables). Prints the median \
        correlation per group for every matrix correlation (concatenated features) and, for orthogonal \
        Procrustes, per driving audio feature; writes box plots (PNG) and results.json into --output.

        Example: latentvj study groups demo.wav song.flac --snippets 6 --seconds 16 -o study-groups
        """)

    @OptionGroup var options: StudyOptions

    func run() throws {
        try reportingErrors {
            try options.prepareOutput()
            let generator = try Generator(weights: options.model.load())
            let runner = StudyRunner(generator: generator, fps: options.fps, metrics: MatrixCorrelation.allCases)
            let snippets = try options.snippetFeatures()
            let groups = InterpolationGroup.allCases
            let progress = Progress("rendering \(snippets.count * groups.count) snippets", total: Double(snippets.count * groups.count), enabled: !options.quiet)
            var scores = [InterpolationGroup: [StudyRunner.Score]]()
            for (i, snippet) in snippets.enumerated() {
                for group in groups {
                    scores[group, default: []].append(try runner.score(group: group, features: snippet.features, seed: options.seed &+ UInt64(i) &* 7919))
                    progress.update(Double(scores.values.reduce(0) { $0 + $1.count }))
                }
            }
            progress.finish()
            func values(_ g: InterpolationGroup, _ metric: MatrixCorrelation) -> [Double] { scores[g]!.compactMap { $0.concatenated[metric] } }
            func values(_ g: InterpolationGroup, feature: String) -> [Double] { scores[g]!.compactMap { $0.perFeature[feature] } }

            var doc: [String: Any] = ["audio": options.audio, "snippets": snippets.count, "seconds": options.seconds, "fps": options.fps,
                                      "model": generator.label, "untrained": generator.untrained]
            var medians = [String: Any]()
            for g in groups {
                var entry = [String: Any]()
                for m in MatrixCorrelation.allCases { entry[m.rawValue] = jsonNumber(median(values(g, m))) }
                for f in StudyRunner.drivingFeatures { entry["op_\(f)"] = jsonNumber(median(values(g, feature: f))) }
                medians[g.rawValue] = entry
            }
            doc["medians"] = medians
            doc["scores"] = Dictionary(uniqueKeysWithValues: groups.map { g in
                (g.rawValue, scores[g]!.map { s -> [String: Any] in
                    var e = [String: Any]()
                    for (m, v) in s.concatenated { e[m.rawValue] = v }
                    for (f, v) in s.perFeature { e["op_\(f)"] = v }
                    return e
                })
            })
            let data = try options.writeJSON(doc, name: "results.json")
            // Box plots: OP concatenated, and OP per driving feature.
            let panels: [(String, String, (InterpolationGroup) -> [Double])] =
                [("concatenated", "OP, concatenated features", { values($0, .procrustes) })] +
                StudyRunner.drivingFeatures.map { f in (f, "OP, \(f) vs video features (median)", { values($0, feature: f) }) }
            for (file, title, get) in panels {
                let chart = Charts.boxPlot(title: title, groups: groups.map { ($0.rawValue, get($0)) }, yLabel: "correlation")
                try PNGFile.write(chart, to: "\(options.output)/groups-\(file).png")
            }
            if options.json { FileHandle.standardOutput.write(data); print(); return }
            print("\(snippets.count) snippets of \(Int(options.seconds)) s from \(options.audio.count) file(s); model: \(generator.label)\(generator.untrained ? " (UNTRAINED)" : "")")
            print("median correlation of concatenated features:")
            let header = "group".padding(toLength: 15, withPad: " ", startingAt: 0) + MatrixCorrelation.allCases.map { $0.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0) }.joined()
            print(header)
            for g in groups {
                print(g.rawValue.padding(toLength: 15, withPad: " ", startingAt: 0) + MatrixCorrelation.allCases.map { String(format: "%-12.4f", median(values(g, $0))) }.joined())
            }
            print("median OP correlation per driving audio feature (median over video features):")
            print("group".padding(toLength: 15, withPad: " ", startingAt: 0) + StudyRunner.drivingFeatures.map { $0.padding(toLength: 15, withPad: " ", startingAt: 0) }.joined())
            for g in groups {
                print(g.rawValue.padding(toLength: 15, withPad: " ", startingAt: 0) + StudyRunner.drivingFeatures.map { String(format: "%-15.4f", median(values(g, feature: $0))) }.joined())
            }
            print("box plots and results.json in \(options.output)/")
        }
    }
}

struct StudySmoothness: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "smoothness",
        abstract: "Random interpolations at increasing Gaussian σ: correlation against smoothness (thesis Fig. 3.3).",
        discussion: "Also renders the onsets+chroma group on the same snippets as a reference line. Writes smoothness.png and smoothness.json into --output.")

    @OptionGroup var options: StudyOptions

    @Option(help: "Gaussian σ values in frames, comma-separated.")
    var sigmas = "0,1,2,4,8,16,32,64"

    func run() throws {
        try reportingErrors {
            let sigmaValues = sigmas.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard !sigmaValues.isEmpty, sigmaValues.allSatisfy({ $0 >= 0 }) else { throw UsageError("--sigmas must be non-negative numbers, e.g. 0,2,8") }
            try options.prepareOutput()
            let generator = try Generator(weights: options.model.load())
            let runner = StudyRunner(generator: generator, fps: options.fps, metrics: [.procrustes, .balancedProcrustes])
            let snippets = try options.snippetFeatures()
            let progress = Progress("rendering \(snippets.count * (sigmaValues.count + 1)) snippets", total: Double(snippets.count * (sigmaValues.count + 1)), enabled: !options.quiet)
            var done = 0.0
            var curve = [[Double]](repeating: [], count: sigmaValues.count), balanced = curve
            var reference = [Double]()
            for (i, snippet) in snippets.enumerated() {
                let seed = options.seed &+ UInt64(i) &* 7919
                for (j, sigma) in sigmaValues.enumerated() {
                    let s = try runner.score(group: sigma == 0 ? .none : .random, features: snippet.features, seed: seed, sigma: sigma)
                    curve[j].append(s.concatenated[.procrustes]!); balanced[j].append(s.concatenated[.balancedProcrustes]!)
                    done += 1; progress.update(done)
                }
                reference.append(try runner.score(group: .onsetsChroma, features: snippet.features, seed: seed).concatenated[.procrustes]!)
                done += 1; progress.update(done)
            }
            progress.finish()
            let medians = curve.map(median), balancedMedians = balanced.map(median)
            let chart = Charts.linePlot(title: "correlation vs smoothness of random interpolations", x: sigmaValues,
                                        series: [("op (thesis)", medians), ("op balanced", balancedMedians)],
                                        xLabel: "gaussian sigma (frames)", yLabel: "median correlation",
                                        references: [("onsets+chroma (op)", median(reference))])
            try PNGFile.write(chart, to: "\(options.output)/smoothness.png")
            let doc: [String: Any] = ["sigmas": sigmaValues, "op_median": medians.map(jsonNumber), "op_balanced_median": balancedMedians.map(jsonNumber),
                                      "onsets_chroma_op_median": jsonNumber(median(reference)), "snippets": snippets.count, "model": generator.label]
            let data = try options.writeJSON(doc, name: "smoothness.json")
            if options.json { FileHandle.standardOutput.write(data); print(); return }
            print("sigma (frames)   op median   op balanced median")
            for (j, s) in sigmaValues.enumerated() { print(String(format: "%-16g %-11.4f %.4f", s, medians[j], balancedMedians[j])) }
            print(String(format: "onsets+chroma reference (op): %.4f", median(reference)))
            print("plot and smoothness.json in \(options.output)/")
        }
    }
}
