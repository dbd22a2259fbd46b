import Foundation

/// Finds and runs external programs (ffmpeg, ffprobe). The search path is explicit so that tests can
/// simulate a machine without the tool.
public struct ExternalTool {
    public let name: String
    public let searchPath: String

    public init(_ name: String, searchPath: String? = nil) {
        self.name = name
        self.searchPath = searchPath ?? ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    }

    /// The executable's full path, or nil when it is not installed.
    public func locate() -> String? {
        for dir in searchPath.split(separator: ":") where !dir.isEmpty {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// The executable's path, or an error that tells the user how to install it and what it is for.
    public func require(for purpose: String) throws -> String {
        guard let path = locate() else {
            throw MissingToolError(tool: name, purpose: purpose)
        }
        return path
    }

    public struct Result {
        public let status: Int32
        public let stdout: Data
        public let stderr: String
    }

    /// Runs the tool to completion, collecting its output.
    public func run(_ arguments: [String], purpose: String) throws -> Result {
        let running = try RunningTool(executable: try require(for: purpose), arguments: arguments)
        let outData = running.stdout.readDataToEndOfFile()
        let end = running.wait()
        return Result(status: end.status, stdout: outData, stderr: end.stderr)
    }
}

/// A started external program whose standard output the caller reads, and whose standard error is
/// drained on another thread from the start, so a chatty program can never block on a full pipe.
/// The one place LatentVJ spawns a reading subprocess.
public final class RunningTool {
    public let process = Process()
    /// The program's standard output.
    public let stdout: FileHandle
    private let errBox = DataBox()
    private let drained = DispatchGroup()

    public init(executable: String, arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        stdout = out.fileHandleForReading
        drained.enter()
        let box = errBox, group = drained
        DispatchQueue.global().async {
            box.data = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
    }

    public struct End {
        public let status: Int32
        public let killedBySignal: Bool
        public let stderr: String
    }

    /// Waits for the program to exit and for its standard error to be read.
    public func wait() -> End {
        process.waitUntilExit()
        drained.wait()
        return End(status: process.terminationStatus, killedBySignal: process.terminationReason == .uncaughtSignal,
                   stderr: String(decoding: errBox.data, as: UTF8.self))
    }

    /// Stops the program early (closing our end first, so one blocked on a full pipe fails its write).
    public func stop() {
        try? stdout.close()
        process.terminate()
        _ = wait()
    }
}

/// Holds bytes read on another thread; the DispatchGroup wait orders the write before the read.
private final class DataBox: @unchecked Sendable { var data = Data() }
