import Foundation
import XCTest

/// A headless `latentvj live` with OSC on its own port and a recording (whose performance log shows
/// what the decoder got, frame by frame), and real OSC peers: liblo's `oscsend` and python-osc.
class EngineOSCTestCase: CLIWorkspaceTestCase {
    var peer: String { URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Scripts/osc_peer.py").path }
    /// The running engine's OSC port (it picks a free one and reports it in its `started` event).
    var port = 0

    /// Starts the engine headless with OSC on a free port, recording (so the performance log shows what
    /// the decoder got, frame by frame), and waits until it renders and answers over OSC.
    func startEngine(_ extra: [String] = []) throws -> RunningEngine {
        let engine = try RunningEngine(["--headless", "--no-jack", "--osc-port", "0", "--record", "\(folder!)/set.mkv"] + extra,
                                       environment: environment)
        port = try XCTUnwrap(engine.oscPort)
        return engine
    }

    /// Ends the show (SIGTERM) and checks it ended cleanly; its standard error.
    func finish(_ engine: RunningEngine) throws -> String {
        let end = try engine.stop()
        XCTAssertEqual(end.status, 0, end.stderr)
        XCTAssertNotNil(end.events.event("summary"), "the engine summed up")
        return end.stderr
    }

    func oscsend(_ args: [String]) throws {
        let r = try CLI.runProgram("/usr/bin/oscsend", ["127.0.0.1", "\(port)"] + args)
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    func python(_ args: [String]) throws -> [[String: Any]] {
        let r = try CLI.runProgram("/usr/bin/env", ["python3", peer] + args)
        if r.status == 3 { throw XCTSkip("python-osc is not installed (scripts/setup.sh installs it): \(r.stderr)") }
        XCTAssertEqual(r.status, 0, r.stderr)
        return r.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    /// The performance log's records (one per row of music: 1/fps s of audio), after the header.
    func loggedRecords() throws -> [[String: Any]] {
        let lines = try String(contentsOfFile: "\(folder!)/set.performance.jsonl", encoding: .utf8).split(separator: "\n")
        return lines.dropFirst().compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }
    }

    /// Every row of music from the start of the recording to its end is in the log, once, in order (none
    /// lost unless the engine said it skipped), and every frame rendered meanwhile shows one of them: the
    /// frame numbers run without a gap up to the last frame rendered (the recording starts in the main
    /// loop's first turn, a frame or two into the show).
    func assertEveryFrameLogged(summary: [String: Any]?, file: StaticString = #filePath, line: UInt = #line) throws {
        let records = try loggedRecords()
        let frames = records.compactMap { $0["frame"] as? Int }, audio = records.compactMap { $0["audio"] as? Int }
        let rendered = try XCTUnwrap(summary?["frames"] as? Int, "the summary counts frames", file: file, line: line)
        let skips = summary?["skips"] as? Int ?? 0
        XCTAssertFalse(frames.isEmpty, file: file, line: line)
        XCTAssertEqual(frames.count, audio.count, file: file, line: line)
        // Rows: consecutive audio positions one row apart (a skip, when the engine reports one, jumps).
        let steps = zip(audio, audio.dropFirst()).map { $1 - $0 }
        let hop = steps.sorted()[steps.count / 2]
        XCTAssertEqual(steps.filter { abs($0 - hop) > 1 }.count, 0 + min(skips, steps.count), "no row lost: \(steps.filter { abs($0 - hop) > 1 })", file: file, line: line)
        // Frames: in order, each number once as a run of rows, none missing.
        XCTAssertEqual(frames, frames.sorted(), "frames in order", file: file, line: line)
        let distinct = Array(Set(frames)).sorted()
        XCTAssertEqual(distinct, Array((distinct.first ?? 0)..<((distinct.first ?? 0) + distinct.count)), "no frame missing", file: file, line: line)
        XCTAssertEqual(distinct.last.map { $0 + 1 }, rendered, "logged up to the last frame rendered", file: file, line: line)
        XCTAssertLessThan(distinct.first ?? .max, 30, "logged from the start", file: file, line: line)
    }

    /// The performance log's per-frame values of one parameter.
    func logged(_ name: String) throws -> [Double] {
        let lines = try String(contentsOfFile: "\(folder!)/set.performance.jsonl", encoding: .utf8).split(separator: "\n")
        let header = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as! [String: Any]
        let names = header["parameters"] as! [String]
        let i = try XCTUnwrap(names.firstIndex(of: name), "\(name) is logged")
        return lines.dropFirst().compactMap { line in
            ((try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any])?["parameters"].flatMap { ($0 as? [Double])?[i] }
        }
    }
}
