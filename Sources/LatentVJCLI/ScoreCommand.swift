import ArgumentParser
import AudioIn
import Basics
import Correlation
import Features
import Foundation
import VideoFeatures

struct ScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "How strongly any video moves with its music: the audiovisual correlation of the thesis.",
        discussion: """
        Decodes the video with ffmpeg, takes its own audio track unless --audio is given, computes the audio \
        features (offline set) and the video features at the video's frame rate, and prints the concatenated \
        correlation and the pairwise correlations per audio feature. Works on any video, so a VJ can compare \
        LatentVJ's output with any other tool's on the same song.

        Examples:
          latentvj score set.mp4
          latentvj score visuals.mkv --audio track.flac --variant balanced --json
          latentvj score demo.mp4 --dump demo-features/        (CSV matrices to recompute the number elsewhere)
        """)

    @Argument(help: "Video file.")
    var video: String

    @Option(help: "Audio to score against (default: the video's own audio track).")
    var audio: String?

    @Option(help: "thesis (orthogonal Procrustes as the thesis computes it) or balanced (per-block normalisation).")
    var variant = "thesis"

    @Flag(help: "Also print the concatenated correlation for every matrix correlation (RV, adjusted RV, SMI, PWCCA).")
    var allMetrics = false

    @Flag(help: "Print JSON (schema in Docs/correlation.md).")
    var json = false

    @Option(help: "Write the audio and video feature matrices (CSV) and the result (JSON) into this folder.")
    var dump: String?

    @Flag(help: "No progress output.")
    var quiet = false

    func validate() throws {
        guard variant == "thesis" || variant == "balanced" else { throw ValidationError("--variant must be thesis or balanced") }
    }

    func run() throws {
        try reportingErrors {
            let decoder = try VideoDecoder(path: video)
            let extractor = VideoFeatureExtractor(width: decoder.width, height: decoder.height, fps: decoder.fps)
            let progress = Progress("video features", total: 1, enabled: !quiet)
            var frames = 0
            _ = try decoder.forEachFrame { frame in
                extractor.append(rgb24: frame)
                frames += 1
                if frames % 50 == 0 { progress.update(0.5) }
            }
            progress.finish()
            let videoFeatures = extractor.finish()
            let clip = try AudioFile.read(path: audio ?? video)
            let audioFeatures = try OfflineExtractor(fps: decoder.fps).extract(mono: clip.mono(), sampleRate: clip.sampleRate)
            let metric: MatrixCorrelation = variant == "thesis" ? .procrustes : .balancedProcrustes
            let report = try AudiovisualReport(audio: audioFeatures, video: videoFeatures, metric: metric)
            // Every other metric; PWCCA is unavailable (null) when there are fewer frames than features.
            var others = [String: Double]()
            if allMetrics || json {
                for m in MatrixCorrelation.allCases where m != metric {
                    others[m.rawValue] = (try? AudiovisualReport(audio: audioFeatures, video: videoFeatures, metric: m, pairwise: false))?.concatenated ?? .nan
                }
            }
            var doc = report.json
            doc["video"] = video
            doc["audio"] = audio ?? video
            doc["variant"] = variant
            doc["fps"] = decoder.fps
            doc["other_metrics"] = others.mapValues(jsonNumber)
            if let dump {
                try writeDump(audio: audioFeatures, video: videoFeatures, frames: report.frames, doc: doc, folder: dump)
            }
            if json {
                FileHandle.standardOutput.write(try JSONSerialization.data(withJSONObject: doc, options: [.prettyPrinted, .sortedKeys]))
                print()
                return
            }
            print("\(video): \(report.frames) frames at \(String(format: "%g", decoder.fps)) fps, \(decoder.width)×\(decoder.height) analysed")
            print(String(format: "concatenated correlation (%@): %.4f", metric.title, report.concatenated))
            for (name, value) in others.sorted(by: { $0.key < $1.key }) {
                print(value.isFinite ? String(format: "  %@: %.4f", name, value) : "  \(name): unavailable (needs at least as many frames as features)")
            }
            print("pairwise correlations (\(metric.rawValue)); rows: audio features, columns: video features")
            let columns = report.videoNames
            let short = columns.map { String($0.replacingOccurrences(of: "video_", with: "").prefix(10)) }
            print("".padding(toLength: 19, withPad: " ", startingAt: 0) + "median  " + short.map { $0.padding(toLength: 11, withPad: " ", startingAt: 0) }.joined())
            for a in report.audioNames {
                var line = a.padding(toLength: 19, withPad: " ", startingAt: 0) + String(format: "%-8.3f", report.median(audio: a) ?? .nan)
                for c in columns { line += String(format: "%-11.3f", report.value(audio: a, video: c) ?? .nan) }
                print(line)
            }
        }
    }

    func writeDump(audio: FeatureSet, video: FeatureSet, frames: Int, doc: [String: Any], folder: String) throws {
        do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        catch { throw FileError(folder, "cannot be created as a folder") }
        let audioUsed = FeatureSet(sampleRate: audio.sampleRate, fps: audio.fps, frames: frames, causal: false,
                                   features: AudiovisualReport.audioFeatures.compactMap { audio[$0] }.map { f in
                                       Feature(name: f.name, dims: f.dims, values: Array(f.values.prefix(frames * f.dims))) })
        let writes: [(String, Data)] = [
            ("audio_features.csv", audioUsed.csvData()),
            ("video_features.csv", video.slice(frames: 0..<frames).csvData()),
            ("correlation.json", try JSONSerialization.data(withJSONObject: doc, options: [.prettyPrinted, .sortedKeys])),
        ]
        for (name, data) in writes {
            do { try data.write(to: URL(fileURLWithPath: "\(folder)/\(name)")) } catch { throw FileError("\(folder)/\(name)", "cannot be written") }
        }
    }
}
