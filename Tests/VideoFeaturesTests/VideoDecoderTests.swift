import Basics
import Features
import Foundation
import VideoFeatures
import TestSupport
import XCTest

/// Real ffmpeg round trips: frames written with ffmpeg come back through `VideoDecoder`.
final class VideoDecoderTests: TimeLimitedTestCase {
    var scratch: ScratchFolder!

    override func setUpWithError() throws {
        // A real ffmpeg is part of the test environment (scripts/setup.sh installs it): fail, do not skip.
        guard ExternalTool("ffmpeg").locate() != nil, ExternalTool("ffprobe").locate() != nil else {
            throw MissingToolError(tool: "ffmpeg", purpose: "for these tests")
        }
        scratch = ScratchFolder()
    }

    /// Frame k: a horizontal ramp in red, a vertical one in green, and blue = 8k (so frames differ).
    func pattern(_ k: Int, width: Int, height: Int) -> [UInt8] {
        var f = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let i = 3 * (y * width + x)
                f[i] = UInt8(40 + 160 * x / width); f[i + 1] = UInt8(40 + 160 * y / height); f[i + 2] = UInt8(8 * k)
            }
        }
        return f
    }

    /// Encodes frames by piping raw RGB24 into ffmpeg (H.264, yuv420p, near-lossless).
    func encode(_ frames: [[UInt8]], width: Int, height: Int, fps: Int = 24, name: String = "clip.mp4",
                extra: [String] = []) throws -> String {
        let path = scratch.file(name)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ExternalTool("ffmpeg").locate()!)
        process.arguments = ["-nostdin", "-hide_banner", "-loglevel", "error", "-y",
                             "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "\(width)x\(height)", "-r", "\(fps)", "-i", "-"]
            + extra + ["-c:v", "libx264", "-crf", "12", "-pix_fmt", "yuv420p", path]
        let input = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        for f in frames { try input.fileHandleForWriting.write(contentsOf: f) }
        try input.fileHandleForWriting.close()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, message)
        return path
    }

    func ffmpeg(_ args: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ExternalTool("ffmpeg").locate()!)
        process.arguments = ["-nostdin", "-hide_banner", "-loglevel", "error", "-y"] + args
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
    }

    func testRoundTripKeepsSizeCountRateAndPixels() throws {
        let frames = (0..<30).map { pattern($0, width: 96, height: 64) }
        let path = try encode(frames, width: 96, height: 64)
        let video = try VideoDecoder.decode(path: path)
        XCTAssertEqual(video.width, 96)
        XCTAssertEqual(video.height, 64)
        XCTAssertEqual(video.fps, 24)
        XCTAssertEqual(video.frames.count, 30)
        for k in [0, 1, 15, 29] {
            XCTAssertEqual(video.frames[k].count, 96 * 64 * 3)
            let error = zip(video.frames[k], frames[k]).map { abs(Int($0) - Int($1)) }
            // yuv420p halves the colour resolution and H.264 is lossy: close on average, not exact.
            XCTAssertLessThan(Double(error.reduce(0, +)) / Double(error.count), 3, "frame \(k)")
        }
    }

    func testDownscalesToTheShortSideKeepingAspect() throws {
        let path = try encode((0..<6).map { pattern($0, width: 96, height: 64) }, width: 96, height: 64)
        let decoder = try VideoDecoder(path: path, maxShortSide: 32)
        XCTAssertEqual(decoder.width, 48)
        XCTAssertEqual(decoder.height, 32)
        var count = 0
        try decoder.forEachFrame { frame in
            XCTAssertEqual(frame.count, 48 * 32 * 3)
            // Area averaging keeps the ramps: the left edge is dark red, the right bright.
            XCTAssertLessThan(frame[3 * (16 * 48 + 1)], 70)
            XCTAssertGreaterThan(frame[3 * (16 * 48 + 46)], 170)
            count += 1
        }
        XCTAssertEqual(count, 6)
        XCTAssertEqual(decoder.stream.codedWidth, 96)
    }

    func testResamplesTheFrameRate() throws {
        let path = try encode((0..<24).map { pattern($0, width: 32, height: 32) }, width: 32, height: 32)
        let video = try VideoDecoder.decode(path: path, fps: 12)
        XCTAssertEqual(video.fps, 12)
        XCTAssertEqual(video.frames.count, 12)
    }

    func testNTSCRateIsReadExactly() throws {
        let path = scratch.file("ntsc.mp4")
        try ffmpeg(["-f", "lavfi", "-i", "testsrc=s=64x48:r=30000/1001:d=1", "-c:v", "libx264", "-pix_fmt", "yuv420p", path])
        let decoder = try VideoDecoder(path: path)
        XCTAssertEqual(decoder.fps, 30000.0 / 1001, accuracy: 1e-9)
        XCTAssertEqual(decoder.stream.frameRateText, "30000/1001")
        XCTAssertEqual(try decoder.forEachFrame { _ in }, 30)
    }

    /// Phone videos store portrait footage as landscape plus a rotation; ffmpeg turns it upright.
    func testRotationMetadataSwapsTheSides() throws {
        let plain = try encode((0..<3).map { pattern($0, width: 96, height: 64) }, width: 96, height: 64)
        let rotated = scratch.file("rotated.mp4")
        try ffmpeg(["-i", plain, "-c", "copy", "-metadata:s:v", "rotate=90", rotated])
        let video = try VideoDecoder.decode(path: rotated)
        XCTAssertEqual(video.width, 64)
        XCTAssertEqual(video.height, 96)
        XCTAssertEqual(video.frames.count, 3)
    }

    func testFeaturesOfAFile() throws {
        let path = try encode((0..<20).map { pattern($0, width: 96, height: 64) }, width: 96, height: 64)
        let set = try VideoFeatureExtractor.extract(path: path)
        XCTAssertEqual(set.frames, 20)
        XCTAssertEqual(set.fps, 24)
        XCTAssertEqual(set.features.map(\.name), VideoLayout.featureNames)
        // Blue rises by 8/255 a frame: a steady small difference.
        let difference = set["absolute_difference"]!.values
        XCTAssertEqual(difference[0], 0)
        for k in 1..<20 { XCTAssertEqual(difference[k], 8.0 / 255 / 3, accuracy: 0.01, "frame \(k)") }
    }

    // MARK: - Errors name the file and the problem

    func testMissingFile() {
        let path = scratch.file("nothing-here.mp4")
        XCTAssertThrowsError(try VideoDecoder(path: path)) { error in
            XCTAssertEqual(error as? FileError, FileError(path, "does not exist"))
        }
    }

    func testTextFileIsNotAVideo() throws {
        let path = scratch.file("notes.mp4")
        try Data(String(repeating: "not a video ", count: 100).utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try VideoDecoder(path: path)) { error in
            XCTAssertTrue(error is FileError, "\(error)")
            XCTAssertEqual((error as? FileError)?.path, path)
            XCTAssertTrue("\(error)".hasPrefix(path), "\(error)")
            XCTAssertTrue("\(error)".contains("is not a video ffmpeg can read"), "\(error)")
            XCTAssertTrue("\(error)".contains("Invalid data found"), "\(error)")
        }
    }

    func testAudioOnlyFileHasNoVideoTrack() throws {
        let path = scratch.file("tone.wav")
        try ffmpeg(["-f", "lavfi", "-i", "sine=d=1", path])
        XCTAssertThrowsError(try VideoDecoder(path: path)) { error in
            XCTAssertEqual(error as? FileError, FileError(path, "has no video track"))
        }
        // Cover art is a picture, not a video track.
        let withCover = scratch.file("song.mp3")
        let cover = scratch.file("cover.png")
        try ffmpeg(["-f", "lavfi", "-i", "color=c=red:s=32x32", "-frames:v", "1", cover])
        try ffmpeg(["-i", path, "-i", cover, "-map", "0:a", "-map", "1:v", "-c:v", "png", "-disposition:v", "attached_pic", withCover])
        XCTAssertThrowsError(try VideoDecoder(path: withCover)) { error in
            XCTAssertEqual(error as? FileError, FileError(withCover, "has no video track"))
        }
    }

    func testMissingFFmpegIsAClearError() throws {
        let path = try encode([pattern(0, width: 32, height: 32)], width: 32, height: 32)
        XCTAssertThrowsError(try VideoDecoder(path: path, ffmpeg: ExternalTool("ffmpeg", searchPath: "/nonexistent"))) { error in
            XCTAssertTrue(error is MissingToolError, "\(error)")
            XCTAssertTrue("\(error)".contains("ffmpeg was not found"), "\(error)")
        }
    }

    /// An ffmpeg that dies after a frame and a half: the error names the file and passes on ffmpeg's words.
    func testFFmpegDyingMidStreamIsAFileError() throws {
        let path = try encode((0..<4).map { pattern($0, width: 32, height: 32) }, width: 32, height: 32)
        let bin = scratch.file("bin")
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: bin + "/ffprobe", withDestinationPath: ExternalTool("ffprobe").locate()!)
        let script = "#!/bin/sh\nhead -c \(32 * 32 * 3 * 3 / 2) /dev/zero\necho 'simulated decoder crash' >&2\nexit 1\n"
        try Data(script.utf8).write(to: URL(fileURLWithPath: bin + "/ffmpeg"))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bin + "/ffmpeg")
        let decoder = try VideoDecoder(path: path, ffmpeg: ExternalTool("ffmpeg", searchPath: bin))
        var seen = 0
        XCTAssertThrowsError(try decoder.forEachFrame { _ in seen += 1 }) { error in
            XCTAssertEqual(error as? FileError, FileError(path, "ffmpeg stopped after 1 frame: simulated decoder crash"))
        }
        XCTAssertEqual(seen, 1)
    }

    /// A consumer that gives up stops ffmpeg: the call returns promptly with the consumer's error.
    func testStoppingEarlyStopsFFmpeg() throws {
        struct Enough: Error {}
        let path = scratch.file("long.mp4")
        try ffmpeg(["-f", "lavfi", "-i", "testsrc=s=320x240:r=30:d=60", "-c:v", "libx264", "-preset", "ultrafast", path])
        let decoder = try VideoDecoder(path: path, maxShortSide: 240)
        var seen = 0
        let start = Date()
        XCTAssertThrowsError(try decoder.forEachFrame { _ in
            seen += 1
            if seen == 3 { throw Enough() }
        }) { error in XCTAssertTrue(error is Enough) }
        XCTAssertEqual(seen, 3)
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
    }
}
