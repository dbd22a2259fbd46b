import Foundation

/// One named feature over time: `frames × dims` values, frames-major.
public struct Feature: Sendable {
    public let name: String
    public let dims: Int
    public var values: [Float]

    public init(name: String, dims: Int, values: [Float]) {
        precondition(dims > 0 && values.count % dims == 0, "\(name): values must fill whole frames")
        self.name = name; self.dims = dims; self.values = values
    }

    public var frames: Int { values.count / dims }
    public func frame(_ k: Int) -> ArraySlice<Float> { values[(k * dims)..<((k + 1) * dims)] }
    public func column(_ c: Int) -> [Float] { stride(from: c, to: values.count, by: dims).map { values[$0] } }
}

/// Every feature of one analysis, one row per video frame.
public struct FeatureSet: Sendable {
    public let sampleRate: Double
    public let fps: Double
    public let frames: Int
    public let causal: Bool
    public private(set) var features: [Feature]
    /// Scalars that describe the whole input (e.g. the track's tempo).
    public var summary: [String: Double] = [:]

    public init(sampleRate: Double, fps: Double, frames: Int, causal: Bool, features: [Feature] = []) {
        self.sampleRate = sampleRate; self.fps = fps; self.frames = frames; self.causal = causal
        self.features = []
        for f in features { append(f) }
    }

    public mutating func append(_ feature: Feature) {
        precondition(feature.frames == frames, "\(feature.name) has \(feature.frames) frames, expected \(frames)")
        features.append(feature)
    }

    public subscript(name: String) -> Feature? { features.first { $0.name == name } }

    /// Frames `range` of every feature (a snippet of a song).
    public func slice(frames range: Range<Int>) -> FeatureSet {
        let lo = max(0, range.lowerBound), hi = min(frames, range.upperBound)
        let sliced = features.map { f in Feature(name: f.name, dims: f.dims, values: Array(f.values[(lo * f.dims)..<(max(lo, hi) * f.dims)])) }
        var out = FeatureSet(sampleRate: sampleRate, fps: fps, frames: max(0, hi - lo), causal: causal, features: sliced)
        out.summary = summary
        return out
    }

    /// The JSON document of Docs/features-json.md.
    public func jsonData() -> Data {
        var s = "{\"sample_rate\": \(json(sampleRate)), \"fps\": \(json(fps)), \"frames\": \(frames), \"causal\": \(causal)"
        if !summary.isEmpty {
            s += ", \"summary\": {" + summary.keys.sorted().map { "\"\($0)\": \(json(summary[$0]!))" }.joined(separator: ", ") + "}"
        }
        s += ", \"features\": {"
        s += features.map { f -> String in
            let body: String
            if f.dims == 1 {
                body = "[" + f.values.map { json(Double($0)) }.joined(separator: ",") + "]"
            } else {
                body = "[" + (0..<frames).map { k in "[" + f.frame(k).map { json(Double($0)) }.joined(separator: ",") + "]" }
                    .joined(separator: ",") + "]"
            }
            return "\n  \"\(f.name)\": \(body)"
        }.joined(separator: ",")
        s += "\n}}\n"
        return Data(s.utf8)
    }

    /// CSV: a `time` column, then one column per feature dimension (`chroma_0` … `chroma_11`).
    public func csvData() -> Data {
        var header = ["frame", "time"]
        for f in features { header += f.dims == 1 ? [f.name] : (0..<f.dims).map { "\(f.name)_\($0)" } }
        var lines = [header.joined(separator: ",")]
        for k in 0..<frames {
            var row = [String(k), String(format: "%.4f", Double(k) / fps)]
            for f in features { row += f.frame(k).map { json(Double($0)) } }
            lines.append(row.joined(separator: ","))
        }
        return Data((lines.joined(separator: "\n") + "\n").utf8)
    }

    /// Finite numbers only: a value that is not finite is written as 0 (and never produced by the extractors).
    private func json(_ v: Double) -> String {
        guard v.isFinite else { return "0" }
        if v == v.rounded() && abs(v) < 1e9 { return String(Int(v)) }
        return String(format: "%.6g", v)
    }
}
