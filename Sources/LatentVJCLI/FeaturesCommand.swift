import ArgumentParser
import AudioIn
import Basics
import Features
import Foundation
import Imaging

struct FeaturesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features",
        abstract: "Analyse an audio file: the features the visuals react to.",
        discussion: """
        By default the offline set of the thesis (onsets, RMS, drop strength, chroma, tonnetz, MFCC, spectral \
        contrast and flatness, pulse, tempo, segments). --causal gives the live set instead: exactly what the \
        engine computes on stage, from past samples only.

        Examples:
          latentvj features song.flac --plot song.png
          latentvj features song.wav --causal --fps 30 --json > live.json
          latentvj features song.mp3 --csv -o song.csv
        """)

    @Argument(help: "Audio file (WAV natively; FLAC, Ogg, MP3 or a video's sound through ffmpeg).")
    var audio: String

    @Flag(help: "The causal (live) feature set instead of the offline one.")
    var causal = false

    @Option(help: "Feature frames per second (video frame rate).")
    var fps: Double = 24

    @Flag(help: "Write JSON (schema in Docs/features-json.md).")
    var json = false

    @Flag(help: "Write CSV, one row per frame.")
    var csv = false

    @Option(name: .shortAndLong, help: "Write JSON or CSV to this file instead of standard output.")
    var output: String?

    @Option(help: "Write a PNG plot with one lane per feature.")
    var plot: String?

    @Flag(help: "No progress output.")
    var quiet = false

    func validate() throws {
        if json && csv { throw ValidationError("choose one of --json and --csv") }
        if !(fps > 0 && fps <= 1000) { throw ValidationError("--fps must be between 0 and 1000") }
    }

    func run() throws {
        try reportingErrors {
            let clip = try AudioFile.read(path: audio)
            let set = try analyse(clip)
            if let plot {
                try PNGFile.write(FeaturePlot.render(set, title: URL(fileURLWithPath: audio).lastPathComponent), to: plot)
                if !quiet { FileHandle.standardError.write("wrote \(plot)\n") }
            }
            if json || csv {
                let data = json ? set.jsonData() : set.csvData()
                if let output {
                    do { try data.write(to: URL(fileURLWithPath: output)) } catch { throw FileError(output, "cannot be written") }
                } else {
                    FileHandle.standardOutput.write(data)
                }
            } else {
                printSummary(set, clip: clip)
            }
        }
    }

    func analyse(_ clip: AudioClip) throws -> FeatureSet {
        let progress = Progress(causal ? "causal features" : "offline features", total: 1, enabled: !quiet && clip.duration > 20)
        defer { progress.finish() }
        if causal {
            return try CausalExtractor.extractAll(mono: clip.mono(), sampleRate: clip.sampleRate, fps: fps,
                                                  progress: { progress.update($0) })
        }
        return try OfflineExtractor(fps: fps).extract(mono: clip.mono(), sampleRate: clip.sampleRate,
                                                      progress: { _, f in progress.update(f) })
    }

    func printSummary(_ set: FeatureSet, clip: AudioClip) {
        print(String(format: "%@: %.1f s, %d Hz, %d channel(s); %d frames at %g fps (%@)", audio, clip.duration,
                     Int(clip.sampleRate), clip.channels, set.frames, set.fps, set.causal ? "causal" : "offline"))
        if let tempo = set.summary["tempo"] { print(String(format: "tempo: %.1f BPM", tempo)) }
        print("feature              dims        min        mean         max")
        for f in set.features {
            let finite = f.values.filter(\.isFinite)
            let mean = finite.isEmpty ? 0 : finite.reduce(0, +) / Float(finite.count)
            let name = f.name.padding(toLength: 20, withPad: " ", startingAt: 0)
            print(name + String(format: " %4d %10.4g  %10.4g  %10.4g", f.dims, finite.min() ?? 0, mean, finite.max() ?? 0))
        }
    }
}

/// The feature plot: one lane per feature, in the order of the set.
enum FeaturePlot {
    static func render(_ set: FeatureSet, title: String) -> Raster {
        var plot = LanePlot(title: "\(title)  (\(set.causal ? "causal" : "offline") features, \(Int(set.fps)) fps)", framesPerSecond: set.fps)
        for f in set.features {
            let kind: LanePlot.Kind = f.name == "segments" ? .categorical : (f.dims == 1 ? .line : .heatmap)
            plot.lanes.append(LanePlot.Lane(label: f.name, dims: f.dims, values: f.values, kind: kind))
        }
        return plot.render()
    }
}
