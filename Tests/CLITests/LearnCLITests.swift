import Foundation
import XCTest

/// `latentvj learn` and `latentvj params` as a VJ uses them, against a real JACK server with JACK's
/// own MIDI sequencer client as the controller.
final class LearnCLITests: CLIWorkspaceTestCase {
    var withJackd: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/with-jackd.sh").path
    }

    /// Runs a shell script under a private JACK server.
    func underJACK(_ script: String) throws -> CLI.Result {
        var env = environment!
        env["LVJ"] = CLI.binary
        env["DIR"] = folder
        return try CLI.runProgram(withJackd, ["bash", "-c", script], environment: env)
    }

    func testStandaloneLearnSavesTheNextControl() throws {
        let r = try underJACK("""
            "$LVJ" learn psi --mapping "$DIR/mine.yaml" --timeout 15 > "$DIR/learn.out" 2>&1 &
            learner=$!
            sleep 2
            jack_midiseq lvjseq 4800 0 62 2400 >/dev/null 2>&1 & seq=$!
            wait $learner; status=$?
            kill $seq; cat "$DIR/learn.out"; exit $status
            """)
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("learned note 62"), r.stdout)
        let text = try String(contentsOfFile: "\(folder!)/mine.yaml", encoding: .utf8)
        XCTAssertTrue(text.contains("note: 62") && text.contains("param: psi"), text)
    }

    func testLearnThroughTheRunningEngine() throws {
        try "name: mine\ncontrols:\n".write(toFile: "\(folder!)/mine.yaml", atomically: true, encoding: .utf8)
        let port = 30_000 + Int(getpid() % 20_000)
        let r = try underJACK("""
            "$LVJ" live --headless --seconds 8 --osc-port \(port) --mapping "$DIR/mine.yaml" > "$DIR/live.out" 2>&1 &
            engine=$!
            sleep 3
            "$LVJ" learn temperature --engine \(port)
            sleep 0.5
            jack_midiseq lvjseq 4800 0 64 2400 >/dev/null 2>&1 & seq=$!
            sleep 1; jack_connect lvjseq:out latentvj:midi_in
            wait $engine; status=$?
            kill $seq; cat "$DIR/live.out"; exit $status
            """)
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("learned: note 64") && r.stdout.contains("temperature"), r.stdout)
        let text = try String(contentsOfFile: "\(folder!)/mine.yaml", encoding: .utf8)
        XCTAssertTrue(text.contains("note: 64") && text.contains("param: temperature"), text)
    }

    func testLearnWithoutAnyControlGivesUpClearly() throws {
        let r = try underJACK(#""$LVJ" learn psi --mapping "$DIR/none.yaml" --timeout 1"#)
        XCTAssertEqual(r.status, 64, r.stderr)
        XCTAssertTrue(r.stderr.contains("nothing was saved"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(folder!)/none.yaml"))
        let unknown = try underJACK(#""$LVJ" learn no.such.thing --mapping "$DIR/none.yaml""#)
        XCTAssertEqual(unknown.status, 64)
        XCTAssertTrue(unknown.stderr.contains("unknown parameter"), unknown.stderr)
    }

    func testParamsPrintsTheRegistryAsTableJSONAndMarkdown() throws {
        let table = try CLI.run(["params"], environment: environment)
        XCTAssertEqual(table.status, 0, table.stderr)
        XCTAssertTrue(table.stdout.contains("deep.amplitude") && table.stdout.contains("noise.s16.sigma"))
        let json = try CLI.run(["params", "--json"], environment: environment)
        let object = try JSONSerialization.jsonObject(with: json.data) as? [String: Any]
        let rows = try XCTUnwrap(object?["parameters"] as? [[String: Any]])
        let psi = try XCTUnwrap(rows.first { $0["name"] as? String == "psi" })
        XCTAssertEqual(psi["osc"] as? String, "/lvj/psi"); XCTAssertEqual(psi["max"] as? Double, 1.5)
        let page = "\(folder!)/parameters.md"
        XCTAssertEqual(try CLI.run(["params", "--markdown", page], environment: environment).status, 0)
        let markdown = try String(contentsOfFile: page, encoding: .utf8)
        XCTAssertEqual(markdown.components(separatedBy: "\n| `").count - 1, rows.count, "one table row per parameter")
    }
}
