import Basics
import Foundation

/// Test signals whose features are known in advance.
enum Signals {
    static func sine(_ hz: Double, seconds: Double, rate: Double = 44_100, amplitude: Float = 0.5) -> [Float] {
        (0..<Int(seconds * rate)).map { amplitude * Float(sin(2 * Double.pi * hz * Double($0) / rate)) }
    }

    static func whiteNoise(seconds: Double, rate: Double = 44_100, seed: UInt64 = 1) -> [Float] {
        var rng = SeededRandom(seed: seed)
        return (0..<Int(seconds * rate)).map { _ in Float(rng.normal() * 0.1) }
    }

    /// Short decaying 2 kHz bursts at `bpm`, the first at `offset` seconds.
    static func clickTrain(bpm: Double, seconds: Double, rate: Double = 44_100, offset: Double = 0.1) -> (signal: [Float], times: [Double]) {
        var x = [Float](repeating: 0, count: Int(seconds * rate))
        var times = [Double]()
        var t = offset
        while t < seconds - 0.05 {
            times.append(t)
            let start = Int(t * rate)
            for j in 0..<Int(0.01 * rate) { x[start + j] += 0.8 * Float(sin(2 * Double.pi * 2000 * Double(j) / rate)) * (1 - Float(j) / Float(0.01 * rate)) }
            t += 60 / bpm
        }
        return (x, times)
    }
}

extension Array where Element == Float {
    var maxIndex: Int { indices.max { self[$0] < self[$1] }! }
    var mean: Float { isEmpty ? 0 : reduce(0, +) / Float(count) }
}
