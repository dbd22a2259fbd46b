import AudioIn
import Features
import Foundation
import TestSupport
import XCTest

/// The features of the demo track against what is known to be in it.
final class DemoTrackFeatureTests: TimeLimitedTestCase {
    static let clip = DemoTrack.render()
    static let mono = clip.mono()
    static let offline = try! OfflineExtractor(fps: 24).extract(mono: mono, sampleRate: clip.sampleRate)
    static let causal = try! CausalExtractor.extractAll(mono: mono, sampleRate: clip.sampleRate, fps: 30)

    func testTempo() {
        XCTAssertEqual(Self.offline.summary["tempo"]!, DemoTrack.tempo, accuracy: 0.02 * DemoTrack.tempo)
        // Causal tempo, once the drums have played for a while (the groove starts at 16 s).
        let tempo = Self.causal["tempo"]!.values
        for t in [30.0, 45, 60] {
            XCTAssertEqual(Double(tempo[Int(t * 30)]), DemoTrack.tempo, accuracy: 0.02 * DemoTrack.tempo, "causal tempo at \(t) s")
        }
    }

    /// Onset peaks near the drum hits: for every kick, an onset value above half the local maximum
    /// within ±1 frame; and away from the hits (between eighth notes) the onsets are low.
    func testOnsetsAtDrumHits() {
        for (set, fps) in [(Self.offline, 24.0), (Self.causal, 30.0)] {
            let onsets = set["onsets"]!.values
            let top = onsets[Int(16 * fps)..<Int(64 * fps)].max()!
            var hits = 0
            for t in DemoTrack.kickTimes {
                let k = set.causal ? Int(t * fps) : Int((t * fps).rounded())   // causal rows end after the hit
                let near = onsets[max(0, k - 1)...min(onsets.count - 1, k + 1)].max()!
                if near > 0.3 * top { hits += 1 }
            }
            XCTAssertGreaterThanOrEqual(Double(hits), 0.95 * Double(DemoTrack.kickTimes.count), "kicks found (causal: \(set.causal))")
            var offBeat = [Float]()
            for t in DemoTrack.hatTimes where t > 16 && t < 64 {
                let k = Int(((t + DemoTrack.beatSeconds / 4) * fps).rounded())   // a sixteenth after each hit
                offBeat.append(onsets[k])
            }
            XCTAssertLessThan(offBeat.mean, 0.2 * top, "onsets between hits (causal: \(set.causal))")
        }
    }

    /// For each two-bar chord, the strongest pitch classes in the middle of the chord are its notes.
    func testChordChangesInChroma() {
        for (set, fps) in [(Self.offline, 24.0), (Self.causal, 30.0)] {
            let chroma = set["chroma"]!
            var correct = 0, total = 0
            for bar in stride(from: 0, to: DemoTrack.bars, by: 2) {
                let chord = DemoTrack.chord(atBar: bar)
                let start = Double(bar) * DemoTrack.barSeconds
                // The last second of the chord: smoothing (offline ±0.85 s, causal 0.5 s) has settled.
                var mean = [Float](repeating: 0, count: 12)
                let frames = Int((start + 2 * DemoTrack.barSeconds - 1.2) * fps)..<Int((start + 2 * DemoTrack.barSeconds - 0.2) * fps)
                for k in frames { for c in 0..<12 { mean[c] += chroma.values[k * 12 + c] } }
                let top3 = Set((0..<12).sorted { mean[$0] > mean[$1] }.prefix(3))
                total += 1
                if top3.contains(chord.pitchClasses[0]) && top3.intersection(chord.pitchClasses).count >= 2 { correct += 1 }
            }
            XCTAssertGreaterThanOrEqual(Double(correct), 0.85 * Double(total), "chords seen in chroma (causal: \(set.causal)): \(correct)/\(total)")
        }
    }

    /// Drop strength is low in the intro, high in the drop, and rises around the drop's start (32 s).
    func testDropInDropStrength() {
        for (set, fps) in [(Self.offline, 24.0), (Self.causal, 30.0)] {
            let d = set["drop_strength"]!.values
            let intro = Array(d[Int(4 * fps)..<Int(15 * fps)]).mean
            let drop = Array(d[Int(40 * fps)..<Int(62 * fps)]).mean
            XCTAssertGreaterThan(drop, 3 * intro, "drop vs intro (causal: \(set.causal))")
            // Where it crosses halfway between groove and drop levels: near 32 s (causal lags by its time constant).
            let groove = Array(d[Int(24 * fps)..<Int(31 * fps)]).mean
            let half = (groove + drop) / 2
            let crossing = Double((Int(28 * fps)..<d.count).first { d[$0] > half }!) / fps
            XCTAssertEqual(crossing, set.causal ? 34 : 32, accuracy: set.causal ? 3 : 1.5, "drop crossing (causal: \(set.causal))")
        }
    }

    /// The two-segment labelling separates the quiet (intro, outro) from the loud sections, at beat times.
    func testSegmentationFindsSections() {
        let segments = Self.offline["segments"]!
        let two = segments.column(0)
        func label(at t: Double) -> Int { Int(two[Int(t * 24)]) }
        XCTAssertEqual(label(at: 8), label(at: 68), "intro and outro belong together")
        XCTAssertNotEqual(label(at: 8), label(at: 45), "intro and drop differ")
        // Boundaries fall on beats.
        let beats = Set(PulseAnalysis(onsets: Self.offline["onsets"]!.values, frameRate: 24).beatFrames)
        for k in 1..<two.count where two[k] != two[k - 1] {
            XCTAssertTrue(beats.contains(k), "segment boundary at frame \(k) is not on a beat")
        }
    }

    /// The JSON and CSV documents carry every feature with the right shapes.
    func testExports() throws {
        let doc = try JSONSerialization.jsonObject(with: Self.offline.jsonData()) as! [String: Any]
        XCTAssertEqual(doc["frames"] as? Int, Self.offline.frames)
        XCTAssertEqual(doc["causal"] as? Bool, false)
        let features = doc["features"] as! [String: Any]
        for name in OfflineExtractor.featureNames { XCTAssertNotNil(features[name], name) }
        XCTAssertEqual((features["chroma"] as! [[Double]]).count, Self.offline.frames)
        XCTAssertEqual((features["chroma"] as! [[Double]])[0].count, 12)
        XCTAssertEqual((features["rms"] as! [Double]).count, Self.offline.frames)
        let csv = String(decoding: Self.causal.csvData(), as: UTF8.self).split(separator: "\n")
        XCTAssertEqual(csv.count, Self.causal.frames + 1)
        XCTAssertEqual(csv[0].split(separator: ",").count, 2 + CausalLayout.width)
        XCTAssertTrue(csv[0].contains("chroma_11"))
    }
}
