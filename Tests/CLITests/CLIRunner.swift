import Foundation
import TestSupport

/// Runs the built `latentvj` executable as a user would.
enum CLI {
    static var binary: String {
        if let env = ProcessInfo.processInfo.environment["LATENTVJ_BIN"] { return env }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        for config in ["release", "debug"] {
            let p = root.appendingPathComponent(".build/\(config)/latentvj").path
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return root.appendingPathComponent(".build/release/latentvj").path
    }

    struct Result { let status: Int32; let stdout: String; let stderr: String; let data: Data }

    static func run(_ args: [String], environment: [String: String]? = nil) throws -> Result {
        try runProgram(binary, liveAsIs(args), environment: environment)
    }

    /// `live` measures the machine at start and may render smaller on a slow one (--adapt, its default):
    /// tests that look at the picture want the model's own size on every machine, so they run it with
    /// --no-adapt unless they test adapting (they pass --frame-budget or --render-size).
    static func liveAsIs(_ args: [String]) -> [String] {
        guard args.first == "live", !args.contains(where: { ["--no-adapt", "--frame-budget", "--render-size"].contains($0) }) else { return args }
        return args + ["--no-adapt"]
    }

    /// Any program, with both output streams collected, to its exit. A program still running after
    /// `timeout` seconds is a hang: its thread stacks are taken, it is killed, and the error says so.
    static func runProgram(_ path: String, _ args: [String], environment: [String: String]? = nil, timeout: Double = 600) throws -> Result {
        let child = try ChildProcess(path, args, environment: environment)
        let status = try child.waitForExit(timeout: timeout)
        return Result(status: status, stdout: child.stdout, stderr: child.stderr, data: child.stdoutData)
    }

    /// ffprobe's view of a media file: stream codec types, codec names, sizes, duration.
    static func probe(_ path: String) throws -> [String: Any] {
        let r = try runProgram("/usr/bin/ffprobe", ["-v", "error", "-print_format", "json", "-show_streams", "-show_format", path])
        guard r.status == 0 else { return [:] }
        return (try JSONSerialization.jsonObject(with: r.data) as? [String: Any]) ?? [:]
    }
}

import TestSupport
import XCTest

/// A test case with a scratch folder and an environment whose model cache lives in it, so every test
/// starts from a clean machine (and exercises creating the default model on first use).
class CLIWorkspaceTestCase: TimeLimitedTestCase {
    var folder: String!
    var environment: [String: String]!

    override func setUpWithError() throws {
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: CLI.binary), "build latentvj first (make test does)")
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("lvj-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        environment = ProcessInfo.processInfo.environment
        environment["XDG_CACHE_HOME"] = "\(folder!)/cache"
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }
}
