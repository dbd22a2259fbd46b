import Basics
import Correlation
import Features
import TestSupport
import XCTest

final class RollingCorrelatorTests: TimeLimitedTestCase {
    /// The rolling value equals the batch balanced correlation of the last W frames.
    func testMatchesBatchOverTheWindow() throws {
        let audioBlocks: [(name: String, columns: Range<Int>)] = [("onsets", 0..<1), ("chroma", 1..<13)]
        let videoBlocks: [(name: String, columns: Range<Int>)] = [("difference", 0..<1), ("hist", 1..<9)]
        let window = 60
        let rolling = RollingCorrelator(window: window, audioBlocks: audioBlocks, videoBlocks: videoBlocks)
        var rng = SeededRandom(seed: 4)
        var audioRows = [[Float]](), videoRows = [[Float]]()
        for t in 0..<150 {
            let beat = Float(t % 8 == 0 ? 1 : 0)
            let a = [beat + Float(rng.normal()) * 0.1] + (0..<12).map { _ in Float(rng.uniform()) }
            let v = [beat * 3 + Float(rng.normal()) * 0.2] + (0..<8).map { _ in Float(rng.uniform()) }
            audioRows.append(a); videoRows.append(v)
            a.withUnsafeBufferPointer { ap in v.withUnsafeBufferPointer { vp in rolling.push(audio: ap.baseAddress!, video: vp.baseAddress!) } }
        }
        let result = try rolling.update()
        XCTAssertEqual(result.frames, window)
        let lastA = audioRows.suffix(window).flatMap { $0.map(Double.init) }, lastV = videoRows.suffix(window).flatMap { $0.map(Double.init) }
        let a = FeatureMatrix(rows: window, cols: 13, values: lastA, blocks: audioBlocks)
        let v = FeatureMatrix(rows: window, cols: 9, values: lastV, blocks: videoBlocks)
        XCTAssertEqual(result.concatenated, try MatrixCorrelation.balancedProcrustes.compute(a, v), accuracy: 1e-6)
        for block in audioBlocks {
            let value = result.perAudioFeature.first { $0.name == block.name }!.value
            XCTAssertEqual(value, try MatrixCorrelation.balancedProcrustes.compute(a.block(block.name)!, v), accuracy: 1e-6, block.name)
        }
        let onsets = result.perAudioFeature.first { $0.name == "onsets" }!.value
        let chroma = result.perAudioFeature.first { $0.name == "chroma" }!.value
        XCTAssertGreaterThan(onsets, chroma, "the video flashes with the beats, not with the noise")
        XCTAssertGreaterThan(onsets, 0.5)
    }

    func testEmptyAndShortWindowsAreDefined() throws {
        let rolling = RollingCorrelator(window: 10, audioBlocks: [("a", 0..<2)], videoBlocks: [("v", 0..<2)])
        XCTAssertEqual(try rolling.update().concatenated, 0)
        var row: [Float] = [1, 2]
        row.withUnsafeBufferPointer { rolling.push(audio: $0.baseAddress!, video: $0.baseAddress!) }
        XCTAssertEqual(try rolling.update().concatenated, 0)
        row = [.nan, 0]
        row.withUnsafeBufferPointer { rolling.push(audio: $0.baseAddress!, video: $0.baseAddress!) }
        XCTAssertThrowsError(try rolling.update())
    }
}
