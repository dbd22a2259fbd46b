import Basics
import Foundation

/// The project's own demo music: deterministic, 72 s, with a ground truth that tests check features
/// against (tempo, drum hits, chord per bar, sections).
///
/// 120 BPM, 4/4, 36 bars. Chords change every two bars through Am – F – C – G. Sections:
/// intro (bars 0–7, quiet: chords and soft hats), groove (bars 8–15: kick, snare, hats, bass),
/// drop (bars 16–31: everything, loud), outro (bars 32–35: chords and hats, quiet).
public struct DemoTrack {
    public struct Chord: Equatable, Sendable {
        public let name: String
        /// Pitch classes, root first (C = 0).
        public let pitchClasses: [Int]
    }

    public struct Section: Equatable, Sendable {
        public let name: String
        public let start: Double
        public let end: Double
        /// Linear gain of the section's mix, so tests know which sections are loud.
        public let level: Double
    }

    public static let tempo = 120.0
    public static let bars = 36
    public static let beatsPerBar = 4
    public static let progression: [Chord] = [
        Chord(name: "Am", pitchClasses: [9, 0, 4]),
        Chord(name: "F", pitchClasses: [5, 9, 0]),
        Chord(name: "C", pitchClasses: [0, 4, 7]),
        Chord(name: "G", pitchClasses: [7, 11, 2]),
    ]
    public static let sections: [Section] = [
        Section(name: "intro", start: 0, end: 16, level: 0.12),
        Section(name: "groove", start: 16, end: 32, level: 0.4),
        Section(name: "drop", start: 32, end: 64, level: 0.85),
        Section(name: "outro", start: 64, end: 72, level: 0.12),
    ]

    public static var beatSeconds: Double { 60 / tempo }
    public static var barSeconds: Double { beatSeconds * Double(beatsPerBar) }
    public static var duration: Double { barSeconds * Double(bars) }

    public static func chord(atBar bar: Int) -> Chord { progression[(bar / 2) % progression.count] }
    public static func section(at time: Double) -> Section {
        sections.first { time >= $0.start && time < $0.end } ?? sections[sections.count - 1]
    }

    /// Kick drum times: every beat in the groove and the drop.
    public static var kickTimes: [Double] { beatTimes.filter { hasDrums(at: $0) } }
    /// Snare times: beats 2 and 4 of each bar in the groove and the drop.
    public static var snareTimes: [Double] {
        beatTimes.enumerated().filter { $0.offset % 4 == 1 || $0.offset % 4 == 3 }.map(\.element).filter { hasDrums(at: $0) }
    }
    /// Hi-hat times: every eighth note, whole track.
    public static var hatTimes: [Double] { (0..<(bars * beatsPerBar * 2)).map { Double($0) * beatSeconds / 2 } }
    public static var beatTimes: [Double] { (0..<(bars * beatsPerBar)).map { Double($0) * beatSeconds } }

    static func hasDrums(at t: Double) -> Bool { t >= 16 && t < 64 }
    static func hasBass(at t: Double) -> Bool { t >= 16 && t < 64 }

    /// Renders the track. Stereo, 16-bit-safe levels (peaks below 1).
    public static func render(sampleRate: Double = 44_100) -> AudioClip {
        let n = Int(duration * sampleRate)
        var left = [Float](repeating: 0, count: n)
        var right = [Float](repeating: 0, count: n)
        var rng = SeededRandom(seed: 0x1A7E_47F1)
        let synth = Voices(sampleRate: sampleRate)

        for bar in 0..<bars {
            let barStart = Double(bar) * barSeconds
            let level = section(at: barStart).level
            // Chords: a pad that starts on every bar, held for the bar.
            let chord = chord(atBar: bar)
            for (i, pc) in chord.pitchClasses.enumerated() {
                let midi = 60 + pc - (pc > 7 ? 12 : 0)   // voiced around middle C
                let pan = 0.35 + 0.15 * Double(i)
                synth.pad(midi: midi, start: barStart, length: barSeconds, gain: 0.22 * level, pan: pan,
                          left: &left, right: &right)
            }
            for beat in 0..<beatsPerBar {
                let t = barStart + Double(beat) * beatSeconds
                if hasDrums(at: t) {
                    synth.kick(at: t, gain: 0.9 * level, left: &left, right: &right)
                    if beat % 2 == 1 { synth.snare(at: t, gain: 0.55 * level, rng: &rng, left: &left, right: &right) }
                }
                for half in 0..<2 {
                    let th = t + Double(half) * beatSeconds / 2
                    let hatGain = (hasDrums(at: th) ? 0.25 : 0.35) * level
                    synth.hat(at: th, gain: hatGain, rng: &rng, left: &left, right: &right)
                    if hasBass(at: th) {
                        let root = 36 + chord.pitchClasses[0]   // octave 2
                        synth.bass(midi: root, start: th, length: beatSeconds / 2 * 0.9, gain: 0.35 * level,
                                   left: &left, right: &right)
                    }
                }
            }
        }
        var interleaved = [Float](repeating: 0, count: 2 * n)
        for i in 0..<n {
            // Gentle saturation keeps the loud drop below full scale without hard clipping.
            interleaved[2 * i] = Float(tanh(Double(left[i])))
            interleaved[2 * i + 1] = Float(tanh(Double(right[i])))
        }
        return AudioClip(sampleRate: sampleRate, channels: 2, samples: interleaved)
    }
}

/// The instruments of the demo track, each adding into stereo buffers.
struct Voices {
    let sampleRate: Double

    func midiToHz(_ m: Int) -> Double { 440 * pow(2, Double(m - 69) / 12) }

    func span(_ start: Double, _ length: Double, _ count: Int) -> Range<Int> {
        let a = max(0, Int(start * sampleRate)), b = min(count, Int((start + length) * sampleRate))
        return a..<max(a, b)
    }

    func kick(at t0: Double, gain: Double, left: inout [Float], right: inout [Float]) {
        var phase = 0.0
        for i in span(t0, 0.35, left.count) {
            let t = Double(i) / sampleRate - t0
            let freq = 45 + 95 * exp(-t / 0.03)
            phase += 2 * .pi * freq / sampleRate
            let click = t < 0.002 ? 0.5 * (1 - t / 0.002) : 0
            let v = Float(gain * (sin(phase) * exp(-t / 0.12) + click))
            left[i] += v; right[i] += v
        }
    }

    func snare(at t0: Double, gain: Double, rng: inout SeededRandom, left: inout [Float], right: inout [Float]) {
        var previous = 0.0
        for i in span(t0, 0.25, left.count) {
            let t = Double(i) / sampleRate - t0
            let white = rng.uniform() * 2 - 1
            let bright = white - 0.7 * previous   // pre-emphasis: a snappy noise
            previous = white
            let body = sin(2 * .pi * 185 * t) * exp(-t / 0.05)
            let v = Float(gain * (0.7 * bright * exp(-t / 0.07) + 0.5 * body))
            left[i] += v; right[i] += v
        }
    }

    func hat(at t0: Double, gain: Double, rng: inout SeededRandom, left: inout [Float], right: inout [Float]) {
        var previous = 0.0
        for i in span(t0, 0.06, left.count) {
            let t = Double(i) / sampleRate - t0
            let white = rng.uniform() * 2 - 1
            let high = white - previous   // first difference: energy above a few kHz
            previous = white
            let v = gain * high * exp(-t / 0.012)
            left[i] += Float(0.8 * v); right[i] += Float(1.2 * v)
        }
    }

    func bass(midi: Int, start: Double, length: Double, gain: Double, left: inout [Float], right: inout [Float]) {
        let f = midiToHz(midi)
        for i in span(start, length, left.count) {
            let t = Double(i) / sampleRate - start
            let env = min(1, t / 0.005) * min(1, (length - t) / 0.01) * exp(-t / 0.4)
            // Three harmonics of a saw: a round, pitched bass.
            let w = 2 * Double.pi * f * t
            let v = Float(gain * env * (sin(w) + 0.5 * sin(2 * w) + 0.33 * sin(3 * w)))
            left[i] += v; right[i] += v
        }
    }

    func pad(midi: Int, start: Double, length: Double, gain: Double, pan: Double, left: inout [Float], right: inout [Float]) {
        let f = midiToHz(midi)
        for i in span(start, length, left.count) {
            let t = Double(i) / sampleRate - start
            let env = min(1, t / 0.08) * min(1, (length - t) / 0.08)
            let w = 2 * Double.pi * f * t
            let v = gain * env * (sin(w) + 0.3 * sin(2 * w) + 0.1 * sin(3 * w))
            left[i] += Float(v * (1 - pan)); right[i] += Float(v * pan)
        }
    }
}
