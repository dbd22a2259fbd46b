import Foundation
import TestSupport
import XCTest

/// `latentvj learn` and `latentvj params` as a VJ uses them, against a real JACK server with JACK's
/// own MIDI sequencer client as the controller.
final class LearnCLITests: CLIWorkspaceTestCase {
    var server: JACKTestServer!
    override func setUpWithError() throws {
        try super.setUpWithError()
        server = JACKTestServer()
        try server.start()
    }
    override func tearDown() { server?.stop(); server = nil; super.tearDown() }

    /// The workspace's environment, reaching the private JACK server.
    var jackEnvironment: [String: String] {
        var env = environment!
        for (key, value) in server.environment where key.hasPrefix("JACK_") { env[key] = value }
        return env
    }

    /// Runs a shell script under the private JACK server.
    func underJACK(_ script: String) throws -> CLI.Result {
        var env = jackEnvironment
        env["LVJ"] = CLI.binary
        env["DIR"] = folder
        return try CLI.runProgram("/bin/bash", ["-c", script], environment: env)
    }

    /// Waits until the JACK server lists `port`.
    func waitForPort(_ port: String) throws {
        try waitFor("JACK port \(port)", details: { "\(self.server.ports() ?? [])" }) { (server.ports() ?? []).contains(port) }
    }

    func testStandaloneLearnSavesTheNextControl() throws {
        let learner = try ChildProcess(CLI.binary, ["learn", "psi", "--mapping", "\(folder!)/mine.yaml", "--timeout", "600"],
                                       environment: jackEnvironment, name: "latentvj learn")
        try learner.waitForOutput("move a control for psi")             // listening, connected to every MIDI output
        try waitForPort("latentvj-learn:midi_in")
        // JACK's own sequencer plays note 62 in a loop; learn connects to new outputs as they appear.
        try server.startClient("jack_midiseq", ["lvjseq", "4800", "0", "62", "2400"])
        XCTAssertEqual(try learner.waitForExit(timeout: 120), 0, learner.tail)
        XCTAssertTrue(learner.stdout.contains("learned note 62"), learner.stdout)
        let text = try String(contentsOfFile: "\(folder!)/mine.yaml", encoding: .utf8)
        XCTAssertTrue(text.contains("note: 62") && text.contains("param: psi"), text)
    }

    func testLearnThroughTheRunningEngine() throws {
        try "name: mine\ncontrols:\n".write(toFile: "\(folder!)/mine.yaml", atomically: true, encoding: .utf8)
        let engine = try RunningEngine(["--headless", "--osc-port", "0", "--mapping", "\(folder!)/mine.yaml"], environment: jackEnvironment)
        let port = try XCTUnwrap(engine.oscPort)
        let ask = try CLI.run(["learn", "temperature", "--engine", "\(port)"], environment: jackEnvironment)
        XCTAssertEqual(ask.status, 0, ask.stderr)
        try engine.waitForEvent("learn_armed", "parameter", "temperature")
        try server.startClient("jack_midiseq", ["lvjseq", "4800", "0", "64", "2400"])
        try waitForPort("lvjseq:out")
        XCTAssertEqual(try server.tool("jack_connect", ["lvjseq:out", "latentvj:midi_in"]), 0)
        let learned = try engine.waitForEvent("learned")
        XCTAssertTrue((learned["binding"] as? String ?? "").contains("note 64"), "\(learned)")
        let end = try engine.stop()
        XCTAssertEqual(end.status, 0, end.stderr)
        XCTAssertTrue(end.stderr.contains("learned: note 64") && end.stderr.contains("temperature"), end.stderr)
        let text = try String(contentsOfFile: "\(folder!)/mine.yaml", encoding: .utf8)
        XCTAssertTrue(text.contains("note: 64") && text.contains("param: temperature"), text)
    }

    /// OSCQuery's LISTEN streams a value moved by a MIDI control (JACK's sequencer playing a mapped note).
    func testAValueMovedOverMIDIStreamsToOSCQueryListeners() throws {
        try "name: mine\ncontrols:\n  - midi: {channel: 1, note: 64}\n    param: temperature\n    mode: toggle\n".write(toFile: "\(folder!)/mine.yaml", atomically: true, encoding: .utf8)
        let engine = try RunningEngine(["--headless", "--osc-port", "0", "--oscquery-port", "0", "--mapping", "\(folder!)/mine.yaml"], environment: jackEnvironment)
        let listener = try OSCQueryClients.listen(port: try XCTUnwrap(engine.oscQueryPort), count: 2, paths: ["/lvj/temperature"], environment: environment)
        try waitFor("the value at once", timeout: 60, details: { listener.tail }) { OSCQueryClients.values(listener).count >= 1 }
        let first = try XCTUnwrap(OSCQueryClients.values(listener).first?.args.first as? Double)
        try server.startClient("jack_midiseq", ["lvjseq", "48000", "0", "64", "2400"])
        try waitForPort("lvjseq:out")
        XCTAssertEqual(try server.tool("jack_connect", ["lvjseq:out", "latentvj:midi_in"]), 0)
        try waitFor("the note's change streamed", timeout: 60, details: { listener.tail + engine.child.failureDetails() }) { OSCQueryClients.values(listener).count >= 2 }
        let moved = OSCQueryClients.values(listener)[1]
        XCTAssertEqual(moved.address, "/lvj/temperature")
        XCTAssertNotEqual(moved.args.first as? Double, first, "the note toggled it")
        XCTAssertEqual(try engine.stop().status, 0)
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
