import Basics
import Foundation

/// Frames in, a video file out: an ffmpeg subprocess reading raw RGB24 frames on its standard input,
/// optionally muxing an audio file, encoding H.264.
public final class VideoWriter {
    public let path: String
    public let width: Int, height: Int
    private let process = Process()
    private let input: FileHandle
    private let errorPipe = Pipe()
    private var failed = false

    /// - Parameters:
    ///   - outputSize: scale frames to this size (Lanczos) before encoding; nil keeps them.
    ///   - audio: an audio or video file whose first audio stream is muxed in (AAC).
    public init(path: String, width: Int, height: Int, fps: Double, outputSize: Int? = nil, audio: String? = nil,
                ffmpeg: ExternalTool = ExternalTool("ffmpeg")) throws {
        self.path = path; self.width = width; self.height = height
        signal(SIGPIPE, SIG_IGN)   // a dead encoder must surface as a write error, not kill the program
        var args = ["-nostdin", "-hide_banner", "-loglevel", "error", "-y",
                    "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "\(width)x\(height)", "-framerate", String(fps), "-i", "-"]
        if let audio { args += ["-i", audio] }
        args += ["-map", "0:v:0"]
        if audio != nil { args += ["-map", "1:a:0", "-c:a", "aac", "-b:a", "192k"] }
        if let size = outputSize, size != width { args += ["-vf", "scale=\(size):\(size):flags=lanczos"] }
        args += ["-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p", path]
        process.executableURL = URL(fileURLWithPath: try ffmpeg.require(for: "to encode video"))
        process.arguments = args
        let pipe = Pipe()
        process.standardInput = pipe
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errorPipe
        try process.run()
        input = pipe.fileHandleForWriting
    }

    /// Appends one frame of width × height × 3 bytes.
    public func write(_ rgb: UnsafeBufferPointer<UInt8>) throws {
        precondition(rgb.count == width * height * 3)
        guard !failed else { throw FileError(path, "the encoder has stopped") }
        do {
            try input.write(contentsOf: UnsafeRawBufferPointer(rgb))
        } catch {
            failed = true
            throw FileError(path, "the encoder stopped accepting frames: \(finishAndCollectError())")
        }
    }

    /// Closes the stream and waits for ffmpeg; throws with ffmpeg's message if encoding failed.
    public func finish() throws {
        try? input.close()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw FileError(path, "ffmpeg failed (\(process.terminationStatus)): \(errorText())")
        }
    }

    private func finishAndCollectError() -> String {
        try? input.close()
        process.waitUntilExit()
        return errorText()
    }

    private func errorText() -> String {
        let text = String(decoding: errorPipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return text.split(separator: "\n").last.map(String.init) ?? "no message"
    }
}
