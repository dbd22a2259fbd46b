import Basics
import Foundation

/// What ffprobe says about a file's first real video stream.
public struct VideoStreamInfo: Equatable {
    /// The stream's index in the file (for ffmpeg's `-map 0:N`).
    public let index: Int
    /// Coded size of the frames.
    public let codedWidth: Int, codedHeight: Int
    /// Size as displayed: after non-square pixels (sample aspect ratio) and rotation metadata,
    /// which ffmpeg applies when decoding (autorotate), so this is the shape of what we get.
    public let displayWidth: Int, displayHeight: Int
    /// The nominal frame rate as ffmpeg writes it ("30000/1001"), and its value.
    public let frameRateText: String
    public let frameRate: Double
}

/// Reads a video stream's size and frame rate with ffprobe.
enum VideoProbe {
    static func probe(path: String, ffprobe: ExternalTool) throws -> VideoStreamInfo {
        let purpose = "to read the size and frame rate of \(URL(fileURLWithPath: path).lastPathComponent)"
        let result = try ffprobe.run(["-v", "error", "-select_streams", "v",
                                      "-show_entries", "stream=index,width,height,r_frame_rate,avg_frame_rate,sample_aspect_ratio"
                                          + ":stream_disposition=attached_pic:stream_side_data=rotation",
                                      "-of", "json", ffmpegURL(path)], purpose: purpose)
        guard result.status == 0 else {
            throw FileError(path, "is not a video ffmpeg can read (\(FFmpegMessage.summarise(result.stderr, path: path)))")
        }
        guard let root = try? JSONSerialization.jsonObject(with: result.stdout) as? [String: Any],
              let streams = root["streams"] as? [[String: Any]] else {
            throw FileError(path, "ffprobe's description of it is unreadable")
        }
        // An MP3's or M4A's cover art is a one-picture "video" stream: not a video track.
        let real = streams.filter { (($0["disposition"] as? [String: Any])?["attached_pic"] as? Int ?? 0) == 0 }
        guard let stream = real.first else { throw FileError(path, "has no video track") }
        guard let index = stream["index"] as? Int, let width = stream["width"] as? Int, let height = stream["height"] as? Int,
              width > 0, height > 0 else {
            throw FileError(path, "has a video track without a frame size")
        }
        // r_frame_rate is the stream's base rate; for variable-rate phone footage it can be a timebase
        // such as 90000/1, where avg_frame_rate is the sensible one.
        let nominal = (stream["r_frame_rate"] as? String).flatMap(rate)
        let average = (stream["avg_frame_rate"] as? String).flatMap(rate)
        let chosen: (text: String, value: Double)
        if let n = nominal, n.value <= 240 || average == nil { chosen = n }
        else if let a = average { chosen = a }
        else { throw FileError(path, "has a video track without a usable frame rate") }

        var displayWidth = Double(width), displayHeight = Double(height)
        if let sar = (stream["sample_aspect_ratio"] as? String).flatMap(rate), sar.value > 0 {
            displayWidth *= sar.value
        }
        let rotation = ((stream["side_data_list"] as? [[String: Any]]) ?? []).compactMap { $0["rotation"] as? Int }.first ?? 0
        if abs(rotation) % 180 == 90 { swap(&displayWidth, &displayHeight) }
        return VideoStreamInfo(index: index, codedWidth: width, codedHeight: height,
                               displayWidth: max(1, Int(displayWidth.rounded())), displayHeight: max(1, Int(displayHeight.rounded())),
                               frameRateText: chosen.text, frameRate: chosen.value)
    }

    /// "30000/1001" or "1:1" → its value; nil for "0/0" and other unusable values.
    static func rate(_ text: String) -> (text: String, value: Double)? {
        let parts = text.split(whereSeparator: { $0 == "/" || $0 == ":" })
        guard parts.count == 2, let n = Double(parts[0]), let d = Double(parts[1]), n > 0, d > 0 else { return nil }
        let value = n / d
        return value.isFinite && value > 0 ? ("\(parts[0])/\(parts[1])", value) : nil
    }

    /// Names a local file for ffmpeg. The `file:` prefix keeps a name with a colon ("take:2.mp4") from
    /// being read as a protocol.
    static func ffmpegURL(_ path: String) -> String { "file:" + path }
}

/// ffmpeg's own words, trimmed to what a user needs.
enum FFmpegMessage {
    /// The lines that explain the failure (at most the last two), without the file name, which the
    /// FileError already leads with, nor ffmpeg's "[demuxer @ 0x…]" prefixes.
    static func summarise(_ stderr: String, path: String) -> String {
        var lines: [String] = []
        for raw in stderr.split(separator: "\n") {
            var line = raw.replacingOccurrences(of: VideoProbe.ffmpegURL(path) + ": ", with: "")
                .replacingOccurrences(of: VideoProbe.ffmpegURL(path), with: path)
                .trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("["), let close = line.range(of: "] ") { line = String(line[close.upperBound...]) }
            if !line.isEmpty && !lines.contains(line) { lines.append(line) }
        }
        return lines.isEmpty ? "ffmpeg failed without a message" : lines.suffix(2).joined(separator: "; ")
    }
}
