import AllocationCounter
import AudioIn
import Basics
import Features
import Foundation
import TestSupport
import XCTest

/// The causal extractor gives the same rows however the stream is cut, and allocates nothing per frame.
final class StreamPropertyTests: TimeLimitedTestCase {
    func testChunkingDoesNotChangeRows() throws {
        let clip = DemoTrack.render(sampleRate: 48_000).slice(frames: (30 * 48_000)..<(50 * 48_000))
        let mono = clip.mono()
        let whole = try CausalExtractor.extractAll(mono: mono, sampleRate: 48_000, fps: 60, chunkSizes: [mono.count])
        var rng = SeededRandom(seed: 3)
        let sizes = (0..<500).map { _ in 1 + Int(rng.uniform() * 3000) }
        let chunked = try CausalExtractor.extractAll(mono: mono, sampleRate: 48_000, fps: 60, chunkSizes: sizes)
        let periods = try CausalExtractor.extractAll(mono: mono, sampleRate: 48_000, fps: 60, chunkSizes: [256])   // a JACK period
        XCTAssertEqual(whole.frames, 1200)
        for other in [chunked, periods] {
            XCTAssertEqual(other.frames, whole.frames)
            for (a, b) in zip(whole.features, other.features) {
                XCTAssertEqual(a.name, b.name)
                let diff = zip(a.values, b.values).map { abs($0 - $1) }.max()!
                XCTAssertLessThanOrEqual(diff, 1e-6, "\(a.name) depends on chunking")
            }
        }
    }

    /// After warm-up, feeding audio and emitting rows makes no heap allocation at all.
    func testNoAllocationPerFrame() throws {
        let rate = 48_000.0
        let extractor = try CausalExtractor(sampleRate: rate, fps: 60)
        let audio = DemoTrack.render(sampleRate: rate).mono()
        var sink: Float = 0
        try audio.withUnsafeBufferPointer { x in
            let period = 256
            var start = 0
            func feed(_ periods: Int) {
                for _ in 0..<periods {
                    extractor.process(UnsafeBufferPointer(rebasing: x[start..<(start + period)])) { _, row in sink += row[0] }
                    start += period
                }
            }
            feed(200)   // warm-up
            lvj_count_allocations_begin()
            feed(6_000) // 32 s of audio, ~1900 frames, ~3000 analyses, ~375 tempo updates
            let allocations = lvj_count_allocations_end()
            XCTAssertEqual(allocations, 0, "the causal extractor allocated \(allocations) times in the frame loop")
            // The counter itself works: an array allocation is seen.
            lvj_count_allocations_begin()
            let probe = [Float](repeating: sink, count: Int(extractor.fps) + 1000)
            XCTAssertGreaterThan(lvj_count_allocations_end(), 0)
            sink += probe[0]
            _ = try XCTUnwrap(Optional(sink))
        }
    }
}
