import AudioIn
import Basics
import Foundation
import XCTest

/// The `latentvj` executable as a user runs it.
final class CLITests: CLIWorkspaceTestCase {
    func run(_ args: [String], environment: [String: String]? = nil) throws -> CLI.Result { try CLI.run(args, environment: environment) }


    /// A short WAV for the slower commands.
    func shortClip(seconds: Double = 8) throws -> String {
        let path = "\(folder!)/short.wav"
        let clip = DemoTrack.render(sampleRate: 22_050)
        try WAVWriter.write(clip.slice(frames: (30 * 22_050)..<Int((30 + seconds) * 22_050)), to: path)
        return path
    }

    func testHelpNamesEveryCommand() throws {
        let r = try run(["--help"])
        XCTAssertEqual(r.status, 0)
        for command in ["demo-audio", "features", "bench", "doctor", "Exit codes"] { XCTAssertTrue(r.stdout.contains(command), command) }
        let f = try run(["features", "--help"])
        for option in ["--causal", "--fps", "--json", "--csv", "--plot"] { XCTAssertTrue(f.stdout.contains(option), option) }
    }

    func testDemoAudioWritesAPlayableTrackAndItsTruth() throws {
        let wav = "\(folder!)/demo.wav", truth = "\(folder!)/truth.json"
        let r = try run(["demo-audio", "-o", wav, "--truth", truth, "--sample-rate", "22050"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let clip = try WAVReader.read(path: wav)
        XCTAssertEqual(clip.duration, 72, accuracy: 0.01)
        let doc = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: truth))) as! [String: Any]
        XCTAssertEqual(doc["tempo"] as? Double, 120)
        XCTAssertEqual((doc["chords"] as! [[String: Any]]).count, 36)
        // ffprobe agrees it is 72 s of audio.
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        probe.arguments = ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", wav]
        let pipe = Pipe(); probe.standardOutput = pipe
        try probe.run(); probe.waitUntilExit()
        let seconds = Double(String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        XCTAssertEqual(seconds ?? 0, 72, accuracy: 0.01)
    }

    func testFeaturesJSONFollowsTheDocumentedSchema() throws {
        let wav = try shortClip()
        for causal in [false, true] {
            let r = try run(["features", wav, "--json", "--fps", "30", "--quiet"] + (causal ? ["--causal"] : []))
            XCTAssertEqual(r.status, 0, r.stderr)
            let doc = try JSONSerialization.jsonObject(with: r.data) as! [String: Any]
            XCTAssertEqual(doc["sample_rate"] as? Double, 22_050)
            XCTAssertEqual(doc["fps"] as? Double, 30)
            XCTAssertEqual(doc["causal"] as? Bool, causal)
            let frames = doc["frames"] as! Int
            XCTAssertEqual(frames, causal ? 240 : 241)
            let features = doc["features"] as! [String: Any]
            for name in ["onsets", "rms", "drop_strength", "chroma", "tonnetz", "mfcc", "spectral_contrast", "spectral_flatness", "pulse", "tempo"] {
                XCTAssertNotNil(features[name], "\(name) (causal: \(causal))")
            }
            XCTAssertEqual((features["rms"] as! [Double]).count, frames)
            XCTAssertEqual((features["chroma"] as! [[Double]]).first?.count, 12)
            XCTAssertEqual((features["mfcc"] as! [[Double]]).first?.count, 20)
            if causal {
                for band in ["rms_low", "rms_mid", "rms_high", "onsets_low", "onsets_mid", "onsets_high", "beat_phase"] { XCTAssertNotNil(features[band], band) }
            } else {
                XCTAssertEqual((features["segments"] as! [[Double]]).first?.count, 6)
            }
        }
    }

    func testCSVAndPlotFiles() throws {
        let wav = try shortClip(seconds: 4)
        let csv = "\(folder!)/f.csv", png = "\(folder!)/f.png"
        let r = try run(["features", wav, "--csv", "-o", csv, "--plot", png, "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 1 + 97)
        XCTAssertTrue(lines[0].hasPrefix("frame,time,onsets,rms,drop_strength,chroma_0"))
        // The plot is a real PNG (read back through libpng by ffprobe's image demuxer) and about 1600 px wide.
        let header = try Data(contentsOf: URL(fileURLWithPath: png)).prefix(24)
        XCTAssertEqual(Array(header.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        let width = header[16..<20].reduce(0) { $0 << 8 | Int($1) }
        XCTAssertEqual(width, 1600)
    }

    func testSummaryTable() throws {
        let r = try run(["features", try shortClip(seconds: 4), "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("tempo:"))
        XCTAssertTrue(r.stdout.contains("spectral_contrast"))
    }

    func testErrorsHaveMeaningfulExitCodes() throws {
        let missing = try run(["features", "\(folder!)/nope.wav"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("nope.wav: does not exist"), missing.stderr)

        let corrupt = "\(folder!)/corrupt.wav"
        var bytes = WAVWriter.encode(DemoTrack.render(sampleRate: 8_000).slice(frames: 0..<8_000))
        bytes = bytes.prefix(100)
        try bytes.write(to: URL(fileURLWithPath: corrupt))
        let truncated = try run(["features", corrupt])
        XCTAssertEqual(truncated.status, 2)
        XCTAssertTrue(truncated.stderr.contains("corrupt.wav: is truncated"), truncated.stderr)

        let flac = "\(folder!)/a.flac"
        try Data("fLaC not really".utf8).write(to: URL(fileURLWithPath: flac))
        let noFFmpeg = try run(["features", flac], environment: ["PATH": "/nonexistent"])
        XCTAssertEqual(noFFmpeg.status, 3)
        XCTAssertTrue(noFFmpeg.stderr.contains("ffmpeg was not found"), noFFmpeg.stderr)

        let usage = try run(["features", flac, "--json", "--csv"])
        XCTAssertEqual(usage.status, 64)
        let badFPS = try run(["features", flac, "--fps", "0"])
        XCTAssertEqual(badFPS.status, 64)
    }

    func testBenchFeaturesReportsRatios() throws {
        let r = try run(["bench", "features", try shortClip(seconds: 6), "--json", "--repeat", "1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let doc = try JSONSerialization.jsonObject(with: r.data) as! [String: Any]
        XCTAssertEqual(doc["audio_seconds"] as! Double, 6, accuracy: 0.01)
        for key in ["offline", "causal"] {
            let part = doc[key] as! [String: Double]
            XCTAssertGreaterThan(part["seconds"]!, 0)
            XCTAssertEqual(part["realtime_factor"]!, 6 / part["seconds"]!, accuracy: 1e-6 * part["realtime_factor"]!)
        }
    }

    func testDoctorListsTheSixLibraries() throws {
        let r = try run(["doctor"])
        XCTAssertEqual(r.status, 0, r.stderr)
        for lib in ["JACK", "ALSA", "liblo", "FFTW", "SDL2", "OpenBLAS", "libpng"] { XCTAssertTrue(r.stdout.contains(lib), lib) }
        XCTAssertTrue(r.stdout.contains("ALSA sequencer"))
        XCTAssertFalse(r.stderr.contains("Cannot connect to server"), "libjack's own chatter is silenced")
    }
}
