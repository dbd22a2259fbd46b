import AudioIn
import Basics
import Foundation
import TestSupport
import XCTest

final class WAVReaderTests: TimeLimitedTestCase {
    /// A clip with a recognisable ramp per channel.
    func ramp(channels: Int, frames: Int, rate: Double) -> AudioClip {
        var s = [Float]()
        for i in 0..<frames { for c in 0..<channels { s.append(Float(sin(Double(i) * 0.01 * Double(c + 1))) * 0.8) } }
        return AudioClip(sampleRate: rate, channels: channels, samples: s)
    }

    func testEveryEncodingRoundTrips() throws {
        let cases: [(SampleEncoding, Float)] = [(.pcmUnsigned8, 1.0 / 64), (.pcm16, 1.0 / 16_000), (.pcm24, 1.0 / 4_000_000),
                                                (.pcm32, 1e-6), (.float32, 0), (.float64, 1e-7)]
        for (encoding, tolerance) in cases {
            for channels in [1, 2, 6] {
                let clip = ramp(channels: channels, frames: 1000, rate: 22_050)
                let back = try WAVReader.decode(WAVWriter.encode(clip, encoding: encoding), path: "mem.wav")
                XCTAssertEqual(back.channels, channels)
                XCTAssertEqual(back.sampleRate, 22_050)
                XCTAssertEqual(back.frameCount, 1000)
                let err = zip(back.samples, clip.samples).map { abs($0 - $1) }.max()!
                XCTAssertLessThanOrEqual(err, tolerance, "\(encoding) × \(channels) ch")
            }
        }
    }

    func testAnySampleRate() throws {
        for rate in [8_000.0, 11_025, 44_100, 48_000, 96_000, 192_000] {
            let back = try WAVReader.decode(WAVWriter.encode(ramp(channels: 1, frames: 10, rate: rate)), path: "x.wav")
            XCTAssertEqual(back.sampleRate, rate)
        }
    }

    /// A hand-made WAVE_FORMAT_EXTENSIBLE file: 24-bit, 4 channels, 96 kHz, with a LIST chunk of odd size
    /// (padding byte) before the data.
    func testWaveFormatExtensible() throws {
        var b = Bytes()
        let frames = 3, channels = 4
        let samples: [Int32] = (0..<(frames * channels)).map { Int32($0 * 100_000 - 500_000) }
        b.ascii("RIFF"); b.u32(0); b.ascii("WAVE")
        b.ascii("fmt "); b.u32(40)
        b.u16(0xFFFE); b.u16(UInt16(channels)); b.u32(96_000); b.u32(96_000 * 12); b.u16(12); b.u16(24)
        b.u16(22); b.u16(24); b.u32(0x33)
        b.raw([0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71])
        b.ascii("LIST"); b.u32(3); b.raw([1, 2, 3, 0])
        b.ascii("data"); b.u32(UInt32(samples.count * 3))
        for s in samples { b.raw([UInt8(truncatingIfNeeded: s), UInt8(truncatingIfNeeded: s >> 8), UInt8(truncatingIfNeeded: s >> 16)]) }
        let clip = try WAVReader.decode(b.data, path: "ext.wav")
        XCTAssertEqual(clip.channels, 4)
        XCTAssertEqual(clip.sampleRate, 96_000)
        XCTAssertEqual(clip.frameCount, 3)
        for (i, s) in samples.enumerated() { XCTAssertEqual(clip.samples[i], Float(s) / 8_388_608, accuracy: 1e-7) }
    }

    func testMonoIsTheMeanOfChannels() {
        let clip = AudioClip(sampleRate: 8000, channels: 2, samples: [1, 0, 0.5, -0.5, -1, -1])
        XCTAssertEqual(clip.mono(), [0.5, 0, -1])
    }

    // MARK: Bad input: every case names the file and the problem.

    func assertRejects(_ data: Data, _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try WAVReader.decode(data, path: "bad.wav"), file: file, line: line) { error in
            guard let e = error as? FileError else { return XCTFail("not a FileError: \(error)", file: file, line: line) }
            XCTAssertEqual(e.path, "bad.wav", file: file, line: line)
            XCTAssertTrue(e.problem.contains(expected), "message \"\(e.problem)\" lacks \"\(expected)\"", file: file, line: line)
        }
    }

    func header(format: UInt16 = 1, channels: UInt16 = 2, rate: UInt32 = 44_100, blockAlign: UInt16 = 4, bits: UInt16 = 16,
                dataSize: UInt32 = 8, body: Int = 8) -> Data {
        var b = Bytes()
        b.ascii("RIFF"); b.u32(36 + dataSize); b.ascii("WAVE")
        b.ascii("fmt "); b.u32(16); b.u16(format); b.u16(channels); b.u32(rate); b.u32(rate &* UInt32(blockAlign)); b.u16(blockAlign); b.u16(bits)
        b.ascii("data"); b.u32(dataSize); b.raw([UInt8](repeating: 0, count: body))
        return b.data
    }

    func testRejectsBadFiles() {
        assertRejects(Data(), "is empty")
        assertRejects(Data("RIFF".utf8), "too short")
        assertRejects(Data("hello, this is a text file, not audio at all".utf8), "not a WAV file")
        assertRejects(Data("fLaC\0\0\0\u{22}aaaaaaaaaaaaaaaa".utf8), "FLAC")
        var notWave = header(); notWave.replaceSubrange(8..<12, with: Array("AVI ".utf8))
        assertRejects(notWave, "not WAVE")
        assertRejects(header(dataSize: 4000, body: 8), "truncated")
        assertRejects(header(dataSize: 0, body: 0), "no audio")
        assertRejects(header(channels: 0, blockAlign: 0), "channels")
        assertRejects(header(channels: 4000, blockAlign: 8000), "channels")
        assertRejects(header(rate: 0), "sample rate")
        assertRejects(header(rate: 4_000_000_000), "sample rate")
        assertRejects(header(bits: 12), "12-bit")
        assertRejects(header(format: 0x55), "compressed")
        assertRejects(header(blockAlign: 3), "inconsistent")
        assertRejects(header().prefix(30), "truncated")
        var noData = Bytes(); noData.ascii("RIFF"); noData.u32(4); noData.ascii("WAVE")
        assertRejects(noData.data, "no fmt chunk")
        var dataFirst = Bytes(); dataFirst.ascii("RIFF"); dataFirst.u32(20); dataFirst.ascii("WAVE"); dataFirst.ascii("data"); dataFirst.u32(4); dataFirst.raw([0, 0, 0, 0])
        assertRejects(dataFirst.data, "before the fmt chunk")
        // A chunk that claims 4 GB must not make the reader allocate 4 GB.
        var huge = Bytes(); huge.ascii("RIFF"); huge.u32(100); huge.ascii("WAVE"); huge.ascii("junk"); huge.u32(0xFFFF_FFF0)
        assertRejects(huge.data, "truncated")
    }

    func testNonFiniteFloatSamplesAreZeroed() throws {
        let clip = AudioClip(sampleRate: 8000, channels: 1, samples: [0.5, .nan, .infinity, -0.25])
        let back = try WAVReader.decode(WAVWriter.encode(clip, encoding: .float32), path: "nan.wav")
        XCTAssertEqual(back.samples, [0.5, 0, 0, -0.25])
    }

    /// Every prefix and thousands of random byte flips of a valid file: an error or a clip, never a crash.
    func testCutsAndFlipsNeverCrash() {
        let valid = WAVWriter.encode(ramp(channels: 2, frames: 64, rate: 8000))
        for cut in 0..<valid.count {
            _ = try? WAVReader.decode(valid.prefix(cut), path: "cut.wav")
        }
        var rng = SeededRandom(seed: 7)
        for _ in 0..<5000 {
            var d = valid
            for _ in 0..<(1 + Int(rng.uniform() * 4)) {
                let at = Int(rng.uniform() * Double(min(60, d.count)))
                d[at] = UInt8(truncatingIfNeeded: rng.next())
            }
            if let clip = try? WAVReader.decode(d, path: "flip.wav") {
                XCTAssertTrue(clip.samples.allSatisfy(\.isFinite))
            }
        }
    }

    func testMissingAndUnreadableFiles() {
        XCTAssertThrowsError(try AudioFile.read(path: "/nonexistent/song.wav")) { error in
            XCTAssertEqual("\(error)", "/nonexistent/song.wav: does not exist")
        }
        XCTAssertThrowsError(try AudioFile.read(path: NSTemporaryDirectory())) { error in
            XCTAssertTrue("\(error)".contains("is a folder"))
        }
    }
}
