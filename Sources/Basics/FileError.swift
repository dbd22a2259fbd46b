/// An error about one input file: always names the file and says what is wrong with it,
/// so a VJ reading the message knows which file to replace and why.
public struct FileError: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let problem: String

    public init(_ path: String, _ problem: String) {
        self.path = path
        self.problem = problem
    }

    public var description: String { "\(path): \(problem)" }
}

/// An error that is not about a particular file (a missing tool, a bad argument combination).
public struct UsageError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// An external program that LatentVJ needs is not installed.
public struct MissingToolError: Error, CustomStringConvertible {
    public let tool: String
    public let purpose: String
    public init(tool: String, purpose: String) { self.tool = tool; self.purpose = purpose }
    public var description: String {
        "\(tool) was not found on PATH, and it is needed \(purpose). Install it (Debian: apt-get install ffmpeg) and try again."
    }
}
