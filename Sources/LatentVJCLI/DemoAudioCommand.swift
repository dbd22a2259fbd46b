import ArgumentParser
import AudioIn
import Basics
import Foundation

struct DemoAudioCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo-audio",
        abstract: "Write the built-in demo track (72 s, 120 BPM, Am–F–C–G, quiet intro, loud drop).",
        discussion: "The track is generated, not stored: the same file every time, on every machine. --truth writes what is in it (beats, drum hits, chords, sections) as JSON.")

    @Option(name: .shortAndLong, help: "Output WAV file.")
    var output = "demo.wav"

    @Option(help: "Sample rate in Hz.")
    var sampleRate = 44_100

    @Option(help: "Also write the ground truth (tempo, hits, chords, sections) to this JSON file.")
    var truth: String?

    func run() throws {
        try reportingErrors {
            guard (8_000...192_000).contains(sampleRate) else { throw UsageError("--sample-rate must be 8000–192000") }
            let clip = DemoTrack.render(sampleRate: Double(sampleRate))
            try WAVWriter.write(clip, to: output)
            print("wrote \(output): \(String(format: "%.1f", clip.duration)) s, \(clip.channels) channels, \(sampleRate) Hz")
            if let truth {
                try writeTruth(to: truth)
                print("wrote \(truth)")
            }
        }
    }

    func writeTruth(to path: String) throws {
        let doc: [String: Any] = [
            "tempo": DemoTrack.tempo,
            "duration": DemoTrack.duration,
            "beats": DemoTrack.beatTimes,
            "kicks": DemoTrack.kickTimes,
            "snares": DemoTrack.snareTimes,
            "hats": DemoTrack.hatTimes,
            "chords": (0..<DemoTrack.bars).map { bar -> [String: Any] in
                let c = DemoTrack.chord(atBar: bar)
                return ["bar": bar, "start": Double(bar) * DemoTrack.barSeconds, "name": c.name, "pitch_classes": c.pitchClasses]
            },
            "sections": DemoTrack.sections.map { ["name": $0.name, "start": $0.start, "end": $0.end, "level": $0.level] },
        ]
        let data = try JSONSerialization.data(withJSONObject: doc, options: [.prettyPrinted, .sortedKeys])
        do { try data.write(to: URL(fileURLWithPath: path)) } catch { throw FileError(path, "cannot be written") }
    }
}
