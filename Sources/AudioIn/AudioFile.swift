import Basics
import Foundation

/// Opens any audio file: WAV natively, everything else (FLAC, Ogg, MP3, the audio track of a video)
/// through an ffmpeg subprocess.
public enum AudioFile {
    /// With `sampleRate`, the clip comes back at that rate (ffmpeg's resampler converts it when the file's
    /// rate differs), e.g. to play a file through a JACK server that runs at another rate.
    public static func read(path: String, sampleRate: Double? = nil, ffmpeg: ExternalTool = ExternalTool("ffmpeg")) throws -> AudioClip {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw FileError(path, "does not exist")
        }
        guard !isDirectory.boolValue else { throw FileError(path, "is a folder, not an audio file") }
        if try startsWithRIFF(path) {
            let clip = try WAVReader.read(path: path)
            if sampleRate == nil || clip.sampleRate == sampleRate { return clip }
        }
        return try decodeWithFFmpeg(path: path, sampleRate: sampleRate, ffmpeg: ffmpeg)
    }

    static func startsWithRIFF(_ path: String) throws -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw FileError(path, "cannot be opened for reading") }
        defer { try? handle.close() }
        let head = handle.readData(ofLength: 4)
        if head.isEmpty { throw FileError(path, "is empty") }
        return head == Data("RIFF".utf8) || head == Data("RF64".utf8)
    }

    /// Lets ffmpeg decode to a temporary float WAV, then reads that natively.
    static func decodeWithFFmpeg(path: String, sampleRate: Double? = nil, ffmpeg: ExternalTool) throws -> AudioClip {
        let purpose = sampleRate == nil
            ? "to read \(URL(fileURLWithPath: path).lastPathComponent) (only WAV files are read without it)"
            : "to resample \(URL(fileURLWithPath: path).lastPathComponent) to \(Int(sampleRate!)) Hz"
        _ = try ffmpeg.require(for: purpose)
        let temp = FileManager.default.temporaryDirectory
            .appendingPathComponent("latentvj-decode-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).wav").path
        defer { try? FileManager.default.removeItem(atPath: temp) }
        let result = try ffmpeg.run(["-nostdin", "-hide_banner", "-loglevel", "error", "-i", path,
                                     "-vn", "-map", "0:a:0", "-c:a", "pcm_f32le"] + (sampleRate.map { ["-ar", String(Int($0.rounded()))] } ?? [])
                                    + ["-f", "wav", "-y", temp],
                                    purpose: purpose)
        guard result.status == 0 else {
            throw FileError(path, "could not be decoded as audio: \(summarise(result.stderr))")
        }
        do {
            return try WAVReader.read(path: temp)
        } catch let error as FileError {
            throw FileError(path, "was decoded by ffmpeg, but the result is unusable: \(error.problem)")
        }
    }

    /// ffmpeg's own words, trimmed to what a user needs.
    static func summarise(_ stderr: String) -> String {
        let lines: [String] = stderr.split(separator: "\n").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if lines.contains(where: { $0.contains("matches no streams") || $0.contains("does not contain any stream") }) {
            return "it has no audio track"
        }
        if lines.contains(where: { $0.contains("Invalid data found") }) {
            return "ffmpeg does not recognise it as audio or video (Invalid data found when processing input)"
        }
        return lines.last ?? "ffmpeg failed without a message"
    }
}
