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
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try require(for: purpose))
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes concurrently so neither can fill up and block the child.
        let errBox = DataBox()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errBox.data = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        let errData = errBox.data
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: outData,
                      stderr: String(decoding: errData, as: UTF8.self))
    }
}

/// Holds bytes read on another thread; the DispatchGroup wait orders the write before the read.
private final class DataBox: @unchecked Sendable { var data = Data() }
