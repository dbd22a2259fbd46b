import Foundation

/// Small statistical charts for study results: box plots per group, and lines over a swept parameter.
public enum Charts {
    static let margin = (left: 64, right: 16, top: 36, bottom: 44)

    /// One panel of box plots: for each group, the median, quartiles and 1.5·IQR whiskers of its values.
    public static func boxPlot(title: String, groups: [(name: String, values: [Double])], yLabel: String,
                               width: Int = 640, height: Int = 360) -> Raster {
        var r = Raster(width: width, height: height, fill: .background)
        BitmapFont.draw(title, x: 8, y: 10, color: .white, scale: 2, into: &r)
        let all = groups.flatMap(\.values).filter(\.isFinite)
        var lo = all.min() ?? 0, hi = all.max() ?? 1
        if hi - lo < 1e-9 { lo -= 0.5; hi += 0.5 }
        let pad = (hi - lo) * 0.08
        lo -= pad; hi += pad
        let plot = frame(&r, width: width, height: height, lo: lo, hi: hi, yLabel: yLabel)
        let slot = Double(plot.w) / Double(max(1, groups.count))
        // Names wider than their slot alternate between two rows, so neighbours do not overprint.
        let stagger = groups.contains { BitmapFont.width(of: $0.name) > Int(slot) - 4 }
        for (i, group) in groups.enumerated() {
            let cx = plot.x + Int(slot * (Double(i) + 0.5))
            let half = max(4, Int(slot * 0.25))
            let color = Color.category(i)
            let v = group.values.filter(\.isFinite).sorted()
            BitmapFont.draw(group.name, x: cx - BitmapFont.width(of: group.name) / 2, y: plot.y + plot.h + (stagger && i % 2 == 1 ? 20 : 8),
                            color: .white, into: &r)
            guard !v.isEmpty else { continue }
            func q(_ p: Double) -> Double {
                let pos = p * Double(v.count - 1), i0 = Int(pos), f = pos - Double(i0)
                return i0 + 1 < v.count ? v[i0] * (1 - f) + v[i0 + 1] * f : v[i0]
            }
            let q1 = q(0.25), med = q(0.5), q3 = q(0.75), iqr = q3 - q1
            let lowWhisker = v.first { $0 >= q1 - 1.5 * iqr } ?? v[0], highWhisker = v.last { $0 <= q3 + 1.5 * iqr } ?? v[v.count - 1]
            let y = { (value: Double) in plot.y + plot.h - Int((value - lo) / (hi - lo) * Double(plot.h)) }
            r.fill(x: cx - half, y: y(q3), width: 2 * half, height: max(1, y(q1) - y(q3)), color.with(alpha: 110))
            r.line(cx - half, y(med), cx + half, y(med), .white)
            r.line(cx, y(q3), cx, y(highWhisker), color)
            r.line(cx, y(q1), cx, y(lowWhisker), color)
            r.line(cx - half / 2, y(highWhisker), cx + half / 2, y(highWhisker), color)
            r.line(cx - half / 2, y(lowWhisker), cx + half / 2, y(lowWhisker), color)
            for value in v where value < lowWhisker || value > highWhisker { r.fill(x: cx - 1, y: y(value) - 1, width: 3, height: 3, color) }
        }
        return r
    }

    /// Lines of y over a shared x axis (e.g. correlation against smoothing σ), with optional reference levels.
    public static func linePlot(title: String, x: [Double], series: [(name: String, y: [Double])], xLabel: String, yLabel: String,
                                references: [(name: String, y: Double)] = [], width: Int = 640, height: Int = 360) -> Raster {
        var r = Raster(width: width, height: height, fill: .background)
        BitmapFont.draw(title, x: 8, y: 10, color: .white, scale: 2, into: &r)
        let ys = series.flatMap(\.y).filter(\.isFinite) + references.map(\.y)
        var lo = ys.min() ?? 0, hi = ys.max() ?? 1
        if hi - lo < 1e-9 { lo -= 0.5; hi += 0.5 }
        let pad = (hi - lo) * 0.08
        lo -= pad; hi += pad
        let plot = frame(&r, width: width, height: height, lo: lo, hi: hi, yLabel: yLabel)
        let xlo = x.min() ?? 0, xhi = max((x.max() ?? 1), xlo + 1e-9)
        let px = { (v: Double) in plot.x + Int((v - xlo) / (xhi - xlo) * Double(plot.w - 1)) }
        let py = { (v: Double) in plot.y + plot.h - Int((v - lo) / (hi - lo) * Double(plot.h)) }
        for (i, ref) in references.enumerated() {
            let color = Color.category(series.count + i).with(alpha: 200)
            var xx = plot.x
            while xx < plot.x + plot.w { r.line(xx, py(ref.y), min(xx + 4, plot.x + plot.w), py(ref.y), color); xx += 8 }
            BitmapFont.draw(ref.name, x: plot.x + plot.w - BitmapFont.width(of: ref.name) - 2, y: py(ref.y) - 9, color: color, into: &r)
        }
        for (i, s) in series.enumerated() {
            let color = Color.category(i)
            for j in 1..<max(1, min(x.count, s.y.count)) { r.line(px(x[j - 1]), py(s.y[j - 1]), px(x[j]), py(s.y[j]), color) }
            for j in 0..<min(x.count, s.y.count) { r.fill(x: px(x[j]) - 2, y: py(s.y[j]) - 2, width: 5, height: 5, color) }
            BitmapFont.draw(s.name, x: plot.x + 6, y: plot.y + 6 + 10 * i, color: color, into: &r)
        }
        for v in x { BitmapFont.draw(String(format: "%g", v), x: px(v) - 6, y: plot.y + plot.h + 6, color: Color(180, 180, 180), into: &r) }
        BitmapFont.draw(xLabel, x: plot.x + plot.w / 2 - BitmapFont.width(of: xLabel) / 2, y: plot.y + plot.h + 20, color: .white, into: &r)
        return r
    }

    /// Axes, horizontal grid lines with labels; returns the plotting rectangle.
    static func frame(_ r: inout Raster, width: Int, height: Int, lo: Double, hi: Double, yLabel: String) -> (x: Int, y: Int, w: Int, h: Int) {
        let x = margin.left, y = margin.top, w = width - margin.left - margin.right, h = height - margin.top - margin.bottom
        r.fill(x: x, y: y, width: w, height: h, Color(30, 30, 40))
        for k in 0...4 {
            let v = lo + (hi - lo) * Double(k) / 4
            let yy = y + h - Int(Double(h) * Double(k) / 4)
            r.line(x, yy, x + w - 1, yy, Color(255, 255, 255, 30))
            BitmapFont.draw(String(format: "%.3f", v), x: 4, y: yy - 3, color: Color(180, 180, 180), into: &r)
        }
        BitmapFont.draw(yLabel, x: 4, y: y - 12, color: Color(200, 200, 200), into: &r)
        return (x, y, w, h)
    }
}
