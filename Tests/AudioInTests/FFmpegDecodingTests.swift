import AudioIn
import Basics
import Foundation
import TestSupport
import XCTest

/// Non-WAV audio goes through a real ffmpeg subprocess.
final class FFmpegDecodingTests: TimeLimitedTestCase {
    var scratch: ScratchFolder!
    var wav: String!
    var clip: AudioClip!

    override func setUpWithError() throws {
        // A real ffmpeg is part of the test environment (scripts/setup.sh installs it): fail, do not skip.
        guard ExternalTool("ffmpeg").locate() != nil else { throw MissingToolError(tool: "ffmpeg", purpose: "for these tests") }
        scratch = ScratchFolder()
        clip = DemoTrack.render(sampleRate: 22_050).slice(frames: 0..<(22_050 * 3))
        wav = scratch.file("clip.wav")
        try WAVWriter.write(clip, to: wav)
    }

    func ffmpeg(_ args: [String]) throws {
        let r = try runTool("ffmpeg", ["-nostdin", "-hide_banner", "-loglevel", "error", "-y"] + args)
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    func testFLACIsLossless() throws {
        let flac = scratch.file("clip.flac")
        try ffmpeg(["-i", wav, flac])
        let decoded = try AudioFile.read(path: flac)
        let reference = try AudioFile.read(path: wav)
        XCTAssertEqual(decoded.sampleRate, 22_050)
        XCTAssertEqual(decoded.channels, 2)
        XCTAssertEqual(decoded.frameCount, reference.frameCount)
        XCTAssertEqual(zip(decoded.samples, reference.samples).map { abs($0 - $1) }.max()!, 0, accuracy: 1e-6)
    }

    func testOggAndMP3DecodeToTheSameMusic() throws {
        for (ext, codec) in [("ogg", "libvorbis"), ("mp3", "libmp3lame")] {
            let out = scratch.file("clip.\(ext)")
            try ffmpeg(["-i", wav, "-c:a", codec, "-q:a", "4", out])
            let decoded = try AudioFile.read(path: out)
            XCTAssertEqual(decoded.duration, 3, accuracy: 0.1, ext)
            // Lossy, and the encoder delay shifts it a little: compare loudness, not samples.
            let rms = { (c: AudioClip) in (c.samples.reduce(0) { $0 + $1 * $1 } / Float(c.samples.count)).squareRoot() }
            XCTAssertEqual(rms(decoded), rms(clip), accuracy: 0.1 * rms(clip), ext)
        }
    }

    func testAudioTrackOfAVideo() throws {
        let video = scratch.file("clip.mp4")
        try ffmpeg(["-f", "lavfi", "-i", "color=c=red:s=64x64:d=3", "-i", wav, "-shortest", "-c:v", "libx264", "-c:a", "aac", video])
        let decoded = try AudioFile.read(path: video)
        XCTAssertEqual(decoded.duration, 3, accuracy: 0.15)
        XCTAssertEqual(decoded.channels, 2)
    }

    func testVideoWithoutAudioSaysSo() throws {
        let video = scratch.file("silent.mp4")
        try ffmpeg(["-f", "lavfi", "-i", "color=c=blue:s=64x64:d=1", "-c:v", "libx264", video])
        XCTAssertThrowsError(try AudioFile.read(path: video)) { error in
            XCTAssertTrue("\(error)".contains("has no audio track"), "\(error)")
            XCTAssertTrue("\(error)".hasPrefix(video))
        }
    }

    func testNonAudioFileSaysSo() throws {
        let junk = scratch.write("notes.mp3", Data(String(repeating: "not audio ", count: 100).utf8))
        XCTAssertThrowsError(try AudioFile.read(path: junk)) { error in
            XCTAssertTrue(error is FileError)
            XCTAssertTrue("\(error)".contains("could not be decoded as audio"), "\(error)")
        }
    }

    func testMissingFFmpegIsAClearError() throws {
        let flac = scratch.file("clip.flac")
        try ffmpeg(["-i", wav, flac])
        XCTAssertThrowsError(try AudioFile.read(path: flac, ffmpeg: ExternalTool("ffmpeg", searchPath: "/nonexistent"))) { error in
            let message = "\(error)"
            XCTAssertTrue(error is MissingToolError)
            XCTAssertTrue(message.contains("ffmpeg was not found"), message)
            XCTAssertTrue(message.contains("clip.flac"), message)
            XCTAssertTrue(message.contains("apt-get install ffmpeg"), message)
        }
        // WAV needs no ffmpeg at all.
        XCTAssertNoThrow(try AudioFile.read(path: wav, ffmpeg: ExternalTool("ffmpeg", searchPath: "/nonexistent")))
    }
}
