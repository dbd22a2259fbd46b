import Foundation
import XCTest

/// `latentvj bench soak`, short: a real JACK dummy server restarted under the engine, a real OSC storm
/// and MIDI controller, record cycles checked with ffprobe. The figures are the benchmark's business;
/// this checks that every part of the load really reached the engine and every check really ran.
final class SoakCLITests: CLIWorkspaceTestCase {
    func testAShortSoakLoadsEveryInputRestartsJACKAndChecksEveryRecording() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/jackd") else { throw XCTSkip("jackd is not installed (scripts/setup.sh installs it)") }
        let r = try CLI.run(["bench", "soak", "--minutes", "0.8", "--jack-restart", "0.35", "--record-cycle", "10", "--osc-rate", "300",
                             "--output", "\(folder!)/soak", "--json"], environment: environment)
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: r.data) as? [String: Any], r.stdout)
        XCTAssertEqual(json["passed"] as? Bool, true, r.stdout)
        XCTAssertEqual((json["engine_exit"] as? [String: Any])?["status"] as? Int, 0)

        // The server went away and came back, and the engine reconnected each time.
        let restarts = try XCTUnwrap(json["jack_restarts"] as? Int)
        XCTAssertGreaterThanOrEqual(restarts, 1)
        XCTAssertEqual((json["reconnect_seconds"] as? [Double])?.count, restarts)

        // The storm reached the engine: it took the valid messages and ignored (and counted) the malformed.
        let load = try XCTUnwrap(json["load"] as? [String: Int]), engine = try XCTUnwrap(json["engine_counters"] as? [String: Int])
        XCTAssertGreaterThan(load["osc_valid"] ?? 0, 5_000)
        XCTAssertGreaterThan(load["osc_malformed"] ?? 0, 1_000)
        XCTAssertGreaterThanOrEqual(engine["osc_accepted"] ?? 0, (load["osc_valid"] ?? 0) * 9 / 10)
        XCTAssertGreaterThanOrEqual(engine["osc_rejected"] ?? 0, (load["osc_malformed"] ?? 0) * 8 / 10)
        XCTAssertGreaterThan(engine["midi_messages"] ?? 0, 200, "the JACK controller's bursts arrived")
        XCTAssertGreaterThan(engine["midi_garbage"] ?? 0, 0)
        XCTAssertGreaterThan((load["preset_recalls"] ?? 0) + (load["preset_morphs"] ?? 0), 3)

        // Every record cycle left a file, and ffprobe decoded every frame the engine said it recorded.
        let recordings = try XCTUnwrap(json["recordings"] as? [[String: Any]])
        XCTAssertGreaterThanOrEqual(recordings.count, 3)
        for rec in recordings {
            XCTAssertEqual(rec["playable"] as? Bool, true, "\(rec)")
            XCTAssertEqual(rec["streams"] as? [String], ["video", "audio"])
            XCTAssertEqual(rec["decoded_frames"] as? Int, rec["recorded_frames"] as? Int)
        }
        // Memory, threads and descriptors were read from /proc at the start and the end.
        let start = try XCTUnwrap(json["start"] as? [String: Any]), end = try XCTUnwrap(json["end"] as? [String: Any])
        for key in ["rss_kb", "threads", "descriptors"] {
            XCTAssertGreaterThan(start[key] as? Int ?? 0, 0, key); XCTAssertGreaterThan(end[key] as? Int ?? 0, 0, key)
        }
        XCTAssertGreaterThan(json["frames"] as? Int ?? 0, 300, "the engine rendered throughout")
        XCTAssertNotNil(json["fps_p1"] as? Double)
    }

    func testTooShortASoakIsAUsageError() throws {
        let r = try CLI.run(["bench", "soak", "--minutes", "0.1"], environment: environment)
        XCTAssertEqual(r.status, 64, r.stderr)
        XCTAssertTrue(r.stderr.contains("--minutes"), r.stderr)
    }
}
