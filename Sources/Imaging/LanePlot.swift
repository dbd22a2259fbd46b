import Foundation

/// A plot with one horizontal lane per series over a shared time axis: line lanes for 1-D series,
/// heat-map lanes for multi-dimensional ones, colour bands for categorical ones.
public struct LanePlot {
    public enum Kind { case line, heatmap, categorical }

    public struct Lane {
        public let label: String
        public let dims: Int
        /// frames × dims, frames-major.
        public let values: [Float]
        public let kind: Kind
        public init(label: String, dims: Int, values: [Float], kind: Kind) {
            self.label = label; self.dims = dims; self.values = values; self.kind = kind
        }
    }

    public var title: String
    public var lanes: [Lane] = []
    public var framesPerSecond: Double
    public var width = 1600
    public var marks: [(time: Double, label: String)] = []

    public init(title: String, framesPerSecond: Double) { self.title = title; self.framesPerSecond = framesPerSecond }

    static let labelWidth = 150, top = 28, bottom = 24, gap = 6

    func laneHeight(_ lane: Lane) -> Int {
        switch lane.kind {
        case .line: return 48
        case .categorical: return max(24, 10 * lane.dims)
        case .heatmap: return max(36, min(96, 4 * lane.dims))
        }
    }

    public func render() -> Raster {
        let height = LanePlot.top + lanes.reduce(0) { $0 + laneHeight($1) + LanePlot.gap } + LanePlot.bottom
        var r = Raster(width: width, height: height, fill: .background)
        BitmapFont.draw(title, x: 8, y: 8, color: .white, scale: 2, into: &r)
        let plotX = LanePlot.labelWidth, plotW = width - LanePlot.labelWidth - 10
        let frames = lanes.first.map { $0.values.count / $0.dims } ?? 0
        var y = LanePlot.top
        for lane in lanes {
            let h = laneHeight(lane)
            r.fill(x: plotX, y: y, width: plotW, height: h, Color(30, 30, 40))
            BitmapFont.draw(lane.label, x: 8, y: y + h / 2 - 3, color: Color(220, 220, 220), into: &r)
            draw(lane, into: &r, x: plotX, y: y, w: plotW, h: h)
            y += h + LanePlot.gap
        }
        // Time axis: a tick and a label every few seconds.
        let seconds = Double(frames) / framesPerSecond
        let step = [1.0, 2, 5, 10, 15, 30, 60, 120, 300, 600].first { seconds / $0 <= 16 } ?? 1200
        var t = 0.0
        while t <= seconds && frames > 0 {
            let x = plotX + Int(t / seconds * Double(plotW - 1))
            r.line(x, LanePlot.top, x, y - LanePlot.gap, Color(255, 255, 255, 28))
            let label = t >= 60 ? String(format: "%d:%02d", Int(t) / 60, Int(t) % 60) : String(format: "%gs", t)
            BitmapFont.draw(label, x: x - 6, y: y + 4, color: Color(180, 180, 180), into: &r)
            t += step
        }
        for mark in marks where frames > 0 {
            let x = plotX + Int(mark.time / seconds * Double(plotW - 1))
            r.line(x, LanePlot.top, x, y - LanePlot.gap, Color(255, 80, 80, 160))
            BitmapFont.draw(mark.label, x: x + 3, y: LanePlot.top - 9, color: Color(255, 120, 120), into: &r)
        }
        return r
    }

    func draw(_ lane: Lane, into r: inout Raster, x: Int, y: Int, w: Int, h: Int) {
        let frames = lane.values.count / max(1, lane.dims)
        guard frames > 0 else { return }
        func frameRange(_ px: Int) -> Range<Int> {
            let a = px * frames / w, b = max(a + 1, (px + 1) * frames / w)
            return a..<min(frames, b)
        }
        switch lane.kind {
        case .line:
            let finite = lane.values.filter(\.isFinite)
            let lo = finite.min() ?? 0, hi = finite.max() ?? 1
            let span = hi > lo ? hi - lo : 1
            for px in 0..<w {
                // Each pixel column shows the min–max envelope of the frames under it.
                let vals = frameRange(px).map { lane.values[$0] }.filter(\.isFinite)
                guard let vmin = vals.min(), let vmax = vals.max() else { continue }
                let y0 = y + h - 1 - Int((vmax - lo) / span * Float(h - 3)) - 1
                let y1 = y + h - 1 - Int((vmin - lo) / span * Float(h - 3)) - 1
                r.fill(x: x + px, y: y1, width: 1, height: y + h - y1, Color(90, 160, 255, 70))
                r.line(x + px, y0, x + px, y1, Color(120, 190, 255))
            }
        case .heatmap:
            // Each dimension is scaled on its own (MFCC 0 would drown the others otherwise).
            var lows = [Float](repeating: .infinity, count: lane.dims), highs = [Float](repeating: -.infinity, count: lane.dims)
            for k in 0..<frames { for d in 0..<lane.dims { let v = lane.values[k * lane.dims + d]; if v.isFinite { lows[d] = min(lows[d], v); highs[d] = max(highs[d], v) } } }
            for px in 0..<w {
                let k = frameRange(px).lowerBound
                for py in 0..<h {
                    let d = lane.dims - 1 - py * lane.dims / h   // dimension 0 at the bottom
                    let span = highs[d] - lows[d]
                    let t = span > 0 ? (lane.values[k * lane.dims + d] - lows[d]) / span : 0
                    r.blend(x + px, y + py, Color.map(t))
                }
            }
        case .categorical:
            for px in 0..<w {
                let k = frameRange(px).lowerBound
                for d in 0..<lane.dims {
                    let y0 = y + d * h / lane.dims, y1 = y + (d + 1) * h / lane.dims - 1
                    r.fill(x: x + px, y: y0, width: 1, height: max(1, y1 - y0), Color.category(Int(lane.values[k * lane.dims + d])))
                }
            }
        }
    }
}
