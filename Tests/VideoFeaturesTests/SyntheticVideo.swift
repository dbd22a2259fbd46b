import Features
import Foundation
import VideoFeatures
import XCTest

/// Synthetic RGB24 videos whose features are known, and a shortcut to extract them.
struct SyntheticVideo {
    let width: Int
    let height: Int
    var frames: [[UInt8]] = []

    init(width: Int, height: Int) { self.width = width; self.height = height }

    /// Appends a frame whose every pixel is `colour`.
    mutating func add(colour: (UInt8, UInt8, UInt8)) {
        var f = [UInt8](repeating: 0, count: width * height * 3)
        for i in 0..<(width * height) { f[3 * i] = colour.0; f[3 * i + 1] = colour.1; f[3 * i + 2] = colour.2 }
        frames.append(f)
    }

    /// Appends a grey frame with value `grey(x, y)` in [0, 1] at each pixel centre.
    mutating func add(grey: (Double, Double) -> Double) {
        var f = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let v = UInt8(max(0, min(255, (grey(Double(x), Double(y)) * 255).rounded())))
                let i = 3 * (y * width + x)
                f[i] = v; f[i + 1] = v; f[i + 2] = v
            }
        }
        frames.append(f)
    }

    func features(maxShortSide: Int = 128) -> FeatureSet {
        let extractor = VideoFeatureExtractor(width: width, height: height, fps: 24, maxShortSide: maxShortSide)
        for f in frames { f.withUnsafeBufferPointer { extractor.append(rgb24: $0) } }
        return extractor.finish()
    }
}

/// A smooth texture: a few sines at periods of 11–37 px in different directions, in [0, 1].
/// Smooth enough for a 7 × 7 Lucas–Kanade window, textured enough that motion is unambiguous.
func texture(_ x: Double, _ y: Double) -> Double {
    let waves: [(fx: Double, fy: Double, phase: Double)] = [
        (1 / 23.0, 1 / 37.0, 0.3), (-1 / 29.0, 1 / 17.0, 1.9), (1 / 13.0, -1 / 31.0, 4.1), (1 / 41.0, 1 / 11.0, 2.6),
    ]
    var s = 0.0
    for w in waves { s += sin(2 * Double.pi * (w.fx * x + w.fy * y) + w.phase) }
    return 0.5 + 0.11 * s
}

extension Feature {
    func row(_ k: Int) -> [Float] { Array(frame(k)) }
    func value(_ k: Int) -> Float { values[k * dims] }
}

func argmax(_ v: [Float]) -> Int { v.indices.max { v[$0] < v[$1] }! }

/// A scratch folder per test case, removed afterwards.
final class ScratchFolder {
    let path: String
    init() {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("lvj-video-test-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func file(_ name: String) -> String { "\(path)/\(name)" }
}
