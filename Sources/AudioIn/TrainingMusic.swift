import Basics
import Foundation

/// Varied music the project makes itself, to train the envelope network on without anybody's
/// recordings: each piece draws a tempo, a key, a mode, a style and an arrangement from its seed and
/// plays them with the demo track's instruments. Deterministic, like the demo track.
public struct TrainingMusic {
    public enum Style: String, CaseIterable, Sendable {
        /// Four-on-the-floor kick, off-beat hats, bass on eighths.
        case house
        /// Syncopated kicks and snares, busier hats.
        case breakbeat
        /// Half-time: kick on 1, snare on 3, slow chords.
        case halftime
        /// Pads and swells only: no drums, slow harmonic motion.
        case ambient
        /// Sixteenth hats and a kick on every beat at high tempo, stabs instead of pads.
        case techno
    }

    public let seed: UInt64
    public let tempo: Double
    public let key: Int
    public let minor: Bool
    public let style: Style
    public let bars: Int
    /// Per bar: the section's level (0…1) and whether drums play.
    public let arrangement: [(level: Double, drums: Bool)]
    /// Per bar: chord pitch classes.
    public let chords: [[Int]]

    public init(seed: UInt64, bars: Int = 32) {
        self.seed = seed
        var rng = SeededRandom(seed: seed &* 0x2545_F491_4F6C_DD1D &+ 17)
        let drawnStyle = Style.allCases[Int(rng.uniform() * Double(Style.allCases.count))]
        style = drawnStyle
        let range: ClosedRange<Double> = style == .techno ? 125...145 : style == .ambient ? 60...90 : style == .halftime ? 140...175 : 90...128
        tempo = (range.lowerBound + rng.uniform() * (range.upperBound - range.lowerBound)).rounded()
        key = Int(rng.uniform() * 12)
        minor = rng.uniform() < 0.5
        self.bars = bars
        // Progressions as scale degrees (semitones from the key) with chord qualities.
        let major: [[Int]] = [[0, 4, 7], [7, 11, 14], [9, 12, 16], [5, 9, 12]]     // I V vi IV
        let minorProgression: [[Int]] = [[0, 3, 7], [8, 12, 15], [3, 7, 10], [10, 14, 17]]   // i VI III VII
        let progression = minor ? minorProgression : major
        let barsPerChord = style == .ambient || style == .halftime ? 2 : 1 + Int(rng.uniform() * 2)
        let tonic = key
        chords = (0..<bars).map { bar in progression[(bar / barsPerChord) % progression.count].map { ($0 + tonic) % 12 } }
        // Arrangement: sections of 4 or 8 bars with drawn levels, drums in the louder ones.
        var sections = [(level: Double, drums: Bool)]()
        while sections.count < bars {
            let length = rng.uniform() < 0.5 ? 4 : 8
            let level = 0.1 + 0.8 * rng.uniform()
            let drums = drawnStyle != .ambient && level > 0.3
            sections += Array(repeating: (level, drums), count: length)
        }
        arrangement = Array(sections.prefix(bars))
    }

    public var name: String { "train-\(String(format: "%03d", Int(seed)))-\(style.rawValue)-\(Int(tempo))bpm" }
    public var duration: Double { Double(bars) * 4 * 60 / tempo }

    public func render(sampleRate: Double = 44_100) -> AudioClip {
        let beat = 60 / tempo, bar = 4 * beat
        let n = Int(duration * sampleRate)
        var left = [Float](repeating: 0, count: n), right = left
        var rng = SeededRandom(seed: seed &+ 99)
        let v = Voices(sampleRate: sampleRate)
        for b in 0..<bars {
            let start = Double(b) * bar
            let (level, drums) = arrangement[b]
            let chord = chords[b]
            for (i, pc) in chord.enumerated() {
                let midi = 57 + pc
                if style == .techno {
                    for s in stride(from: 0, to: 8, by: 3) { v.pad(midi: midi + 12, start: start + Double(s) * beat / 2, length: beat / 3, gain: 0.2 * level, pan: 0.3 + 0.2 * Double(i), left: &left, right: &right) }
                } else {
                    v.pad(midi: midi, start: start, length: bar, gain: (style == .ambient ? 0.3 : 0.2) * level, pan: 0.3 + 0.2 * Double(i), left: &left, right: &right)
                }
            }
            guard drums else { continue }
            for step in 0..<16 {
                let t = start + Double(step) * beat / 4
                let onBeat = step % 4 == 0
                if kick(step, &rng) { v.kick(at: t, gain: 0.9 * level, left: &left, right: &right) }
                if snare(step, &rng) { v.snare(at: t, gain: 0.5 * level, rng: &rng, left: &left, right: &right) }
                if hat(step) { v.hat(at: t, gain: (onBeat ? 0.2 : 0.3) * level, rng: &rng, left: &left, right: &right) }
                if step % 2 == 0 && style != .halftime || step % 8 == 0 {
                    v.bass(midi: 36 + chord[0], start: t, length: beat / 2 * 0.9, gain: 0.3 * level, left: &left, right: &right)
                }
            }
        }
        var interleaved = [Float](repeating: 0, count: 2 * n)
        for i in 0..<n { interleaved[2 * i] = Float(tanh(Double(left[i]))); interleaved[2 * i + 1] = Float(tanh(Double(right[i]))) }
        return AudioClip(sampleRate: sampleRate, channels: 2, samples: interleaved)
    }

    private func kick(_ step: Int, _ rng: inout SeededRandom) -> Bool {
        switch style {
        case .house, .techno: return step % 4 == 0
        case .breakbeat: return step == 0 || step == 6 || step == 10 || (step == 14 && rng.uniform() < 0.5)
        case .halftime: return step == 0 || (step == 11 && rng.uniform() < 0.5)
        case .ambient: return false
        }
    }

    private func snare(_ step: Int, _ rng: inout SeededRandom) -> Bool {
        switch style {
        case .house, .techno: return step == 4 || step == 12
        case .breakbeat: return step == 4 || step == 12 || (step == 15 && rng.uniform() < 0.3)
        case .halftime: return step == 8
        case .ambient: return false
        }
    }

    private func hat(_ step: Int) -> Bool {
        switch style {
        case .house: return step % 4 == 2
        case .techno: return true
        case .breakbeat: return step % 2 == 0
        case .halftime: return step % 2 == 0
        case .ambient: return false
        }
    }
}
