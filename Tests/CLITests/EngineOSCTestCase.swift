import Foundation
import XCTest

/// A headless `latentvj live` with OSC on its own port and a recording (whose performance log shows
/// what the decoder got, frame by frame), and real OSC peers: liblo's `oscsend` and python-osc.
class EngineOSCTestCase: CLIWorkspaceTestCase {
    var peer: String { URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Scripts/osc_peer.py").path }
    let port = 20_000 + Int(getpid() % 20_000) + Int.random(in: 0..<10_000)

    /// Starts the engine headless with OSC on `port`, recording (so the performance log shows what the
    /// decoder got, frame by frame).
    func startEngine(seconds: Double, _ extra: [String] = []) throws -> (Process, Pipe) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLI.binary)
        p.arguments = ["live", "--headless", "--no-jack", "--seconds", "\(seconds)", "--osc-port", "\(port)", "--record", "\(folder!)/set.mkv"] + extra
        p.environment = environment
        let err = Pipe()
        p.standardOutput = err; p.standardError = err
        try p.run()
        Thread.sleep(forTimeInterval: 2.5)             // model, network, first frames
        return (p, err)
    }

    func finish(_ engine: (Process, Pipe)) -> String {
        let text = String(decoding: engine.1.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        engine.0.waitUntilExit()
        XCTAssertEqual(engine.0.terminationStatus, 0, text)
        return text
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
