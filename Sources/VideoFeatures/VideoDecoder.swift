import Basics
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A whole decoded video: RGB24 frames of `width × height` (row-major, top row first).
public struct DecodedVideo {
    public let width: Int
    public let height: Int
    public let fps: Double
    public var frames: [[UInt8]]
}

/// Decodes a video file's first video track to small RGB24 frames through an ffmpeg subprocess.
///
/// `init` checks the file and the tools and asks ffprobe for the stream's size and frame rate, so
/// `width`, `height` and `fps` are known before the first frame (to set up an extractor).
/// `forEachFrame` then streams frames one at a time through one reused buffer: memory stays bounded
/// however long the video is.
///
/// Frames are downscaled (area averaging) so that the short side is at most `maxShortSide`, keeping
/// the displayed aspect ratio, with even sizes. They come at a constant rate: the stream's nominal rate,
/// or `fps` when given (ffmpeg's fps filter drops or repeats frames), so row k is at time k / fps.
public struct VideoDecoder {
    public let path: String
    public let width: Int
    public let height: Int
    public let fps: Double
    public let stream: VideoStreamInfo
    public var frameBytes: Int { width * height * 3 }
    private let ffmpegPath: String
    private let rateText: String

    /// - Parameters:
    ///   - fps: resample to this frame rate; nil keeps the stream's own.
    ///   - ffmpeg: ffprobe is looked up on the same search path.
    public init(path: String, maxShortSide: Int = 128, fps: Double? = nil,
                ffmpeg: ExternalTool = ExternalTool("ffmpeg")) throws {
        guard maxShortSide >= 2 else { throw UsageError("the decoded short side must be at least 2 pixels, not \(maxShortSide)") }
        if let fps { guard fps > 0, fps <= 1_000 else { throw UsageError("fps \(fps) is outside (0, 1000]") } }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw FileError(path, "does not exist")
        }
        guard !isDirectory.boolValue else { throw FileError(path, "is a folder, not a video file") }
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        if (attributes?[.size] as? NSNumber)?.intValue == 0 { throw FileError(path, "is empty") }
        let name = URL(fileURLWithPath: path).lastPathComponent
        ffmpegPath = try ffmpeg.require(for: "to decode the video \(name)")
        let ffprobe = ExternalTool("ffprobe", searchPath: ffmpeg.searchPath)
        stream = try VideoProbe.probe(path: path, ffprobe: ffprobe)
        (width, height) = VideoDecoder.outputSize(width: stream.displayWidth, height: stream.displayHeight,
                                                  maxShortSide: maxShortSide)
        self.path = path
        if let fps {
            self.fps = fps
            rateText = String(fps)
        } else {
            self.fps = stream.frameRate
            rateText = stream.frameRateText
        }
    }

    /// Short side at most `maxShortSide`, aspect kept, both sides even (what yuv-based filters and
    /// encoders prefer, and what the 2-D FFT of the features needs).
    static func outputSize(width: Int, height: Int, maxShortSide: Int) -> (Int, Int) {
        let short = Double(min(width, height))
        let scale = min(1, Double(maxShortSide) / short)
        func even(_ x: Double) -> Int { max(2, Int((x / 2).rounded()) * 2) }
        var w = even(Double(width) * scale), h = even(Double(height) * scale)
        let limit = max(2, maxShortSide & ~1)   // an odd limit must not be rounded up past
        if w <= h { w = min(w, limit) } else { h = min(h, limit) }
        return (w, h)
    }

    var arguments: [String] {
        ["-nostdin", "-hide_banner", "-loglevel", "error",
         "-i", VideoProbe.ffmpegURL(path), "-map", "0:\(stream.index)", "-an", "-sn", "-dn",
         // fps first: resampling the rate before scaling scales only the frames that are kept.
         "-vf", "fps=\(rateText),scale=\(width):\(height):flags=area,setsar=1",
         "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
    }

    /// Decodes every frame, calling `body` with `width × height × 3` bytes each time (the buffer is
    /// reused: copy what you keep). Returns the number of frames. If `body` throws, ffmpeg is stopped
    /// and the error is rethrown.
    @discardableResult
    public func forEachFrame(_ body: (UnsafeBufferPointer<UInt8>) throws -> Void) throws -> Int {
        let ffmpeg = try RunningTool(executable: ffmpegPath, arguments: arguments)
        let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: frameBytes)
        defer { buffer.deallocate() }
        let fd = ffmpeg.stdout.fileDescriptor
        var frames = 0
        var filled = 0
        do {
            while true {
                filled = try readFully(fd, into: buffer)
                guard filled == frameBytes else { break }
                try body(UnsafeBufferPointer(buffer))
                frames += 1
            }
        } catch {
            ffmpeg.stop()
            throw error
        }
        let end = ffmpeg.wait()
        let message = FFmpegMessage.summarise(end.stderr, path: path)
        if end.killedBySignal {
            throw FileError(path, "ffmpeg was killed (signal \(end.status)) after \(frames) frames")
        }
        guard end.status == 0 else {
            throw FileError(path, frames == 0 ? "could not be decoded as video: \(message)"
                                              : "ffmpeg stopped after \(frames) frame\(frames == 1 ? "" : "s"): \(message)")
        }
        guard filled == 0 else {
            throw FileError(path, "the decoded stream ended in the middle of frame \(frames) (\(filled) of \(frameBytes) bytes)")
        }
        guard frames > 0 else { throw FileError(path, "has a video track, but not a single frame could be decoded") }
        return frames
    }

    /// Reads until `buffer` is full or the stream ends; returns the bytes read.
    private func readFully(_ fd: Int32, into buffer: UnsafeMutableBufferPointer<UInt8>) throws -> Int {
        var filled = 0
        while filled < buffer.count {
            let n = read(fd, buffer.baseAddress! + filled, buffer.count - filled)
            if n > 0 { filled += n; continue }
            if n == 0 { break }
            if errno == EINTR { continue }
            throw FileError(path, "reading ffmpeg's output failed: \(String(cString: strerror(errno)))")
        }
        return filled
    }

    /// Streams every frame to `frame` (see `forEachFrame`) and returns the decoded size and rate. To know
    /// the size before the first frame (to set up an extractor), create a `VideoDecoder` instead.
    @discardableResult
    public static func decode(path: String, maxShortSide: Int = 128, fps: Double? = nil,
                              ffmpeg: ExternalTool = ExternalTool("ffmpeg"),
                              frame: (UnsafeBufferPointer<UInt8>) throws -> Void) throws -> (width: Int, height: Int, fps: Double) {
        let decoder = try VideoDecoder(path: path, maxShortSide: maxShortSide, fps: fps, ffmpeg: ffmpeg)
        try decoder.forEachFrame(frame)
        return (decoder.width, decoder.height, decoder.fps)
    }

    /// Decodes the whole video into memory (fine for short clips; long ones: use `forEachFrame`).
    public static func decode(path: String, maxShortSide: Int = 128, fps: Double? = nil,
                              ffmpeg: ExternalTool = ExternalTool("ffmpeg")) throws -> DecodedVideo {
        let decoder = try VideoDecoder(path: path, maxShortSide: maxShortSide, fps: fps, ffmpeg: ffmpeg)
        var frames: [[UInt8]] = []
        try decoder.forEachFrame { frames.append(Array($0)) }
        return DecodedVideo(width: decoder.width, height: decoder.height, fps: decoder.fps, frames: frames)
    }
}
