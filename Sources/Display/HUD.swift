import Foundation
import Imaging

/// A rectangle in pixels, origin top left.
public struct PixelRect: Equatable, Sendable {
    public let x: Int, y: Int, width: Int, height: Int
    public init(x: Int, y: Int, width: Int, height: Int) { self.x = x; self.y = y; self.width = width; self.height = height }
    public var maxX: Int { x + width }
    public var maxY: Int { y + height }
}

/// The heads-up display drawn over the picture: pure drawing into an RGBA raster the size of the window,
/// so it is testable without SDL. Transparent where nothing is drawn; semi-transparent dark panels
/// keep the text legible over any picture.
public enum HUD {
    public typealias Rect = PixelRect

    /// Where each panel goes at a given window size. Fixed per size (not per content) so panels do not
    /// jump around while the values change.
    public struct Layout: Equatable, Sendable {
        /// Integer scale of the 5×7 font.
        public let scale: Int
        /// Top left: fps and frame time, timing, render size, preset, audio status (and the outputs, when there are any).
        public let status: Rect
        /// Under the status panel: "untrained demo model", only when that is what runs.
        public let untrainedBanner: Rect
        /// Top right: the recording indicator or why recording stopped.
        public let recording: Rect
        /// Bottom left: rms, onsets, pulse meters, chroma bars, BPM.
        public let features: Rect
        /// Bottom right: the rolling correlation and its sparkline.
        public let correlation: Rect
        public let sparkline: Rect
        /// Centre: the MIDI-learn prompt.
        public let learnPrompt: Rect
    }

    /// The font scale for a window: 1 up to about 960×720, growing by one step per 480×360.
    public static func fontScale(width: Int, height: Int) -> Int { max(1, min(6, min(width / 480, height / 360))) }

    /// `outputsLine`: the status panel has a seventh line, for the outputs into the rig.
    public static func layout(width: Int, height: Int, outputsLine: Bool = false) -> Layout {
        let s = fontScale(width: width, height: height)
        let margin = 6 * s, pad = 4 * s, line = 10 * s, char = BitmapFont.advance * s
        let textHeight = { (lines: Int) in lines * line - 3 * s }
        let status = Rect(x: margin, y: margin, width: 42 * char + 2 * pad, height: textHeight(outputsLine ? 7 : 6) + 2 * pad)
        let banner = Rect(x: margin, y: status.maxY + 3 * s, width: status.width, height: 14 * s + 2 * pad)
        let recordingWidth = 32 * char + 2 * pad
        let recording = Rect(x: width - margin - recordingWidth, y: margin, width: recordingWidth, height: textHeight(2) + 2 * pad)
        let featuresHeight = textHeight(8) + 2 * pad     // meters, chroma (3), BPM, beat
        let features = Rect(x: margin, y: height - margin - featuresHeight, width: 36 * char + 2 * pad, height: featuresHeight)
        let sparkHeight = 24 * s
        let correlationHeight = line + 17 * s + sparkHeight + 2 * pad
        let correlationWidth = 30 * char + 2 * pad
        let correlation = Rect(x: width - margin - correlationWidth, y: height - margin - correlationHeight,
                               width: correlationWidth, height: correlationHeight)
        let sparkline = Rect(x: correlation.x + pad, y: correlation.maxY - pad - sparkHeight, width: correlationWidth - 2 * pad, height: sparkHeight)
        let learnWidth = min(width - 2 * margin, 40 * 2 * char + 2 * pad), learnHeight = 2 * 18 * s - 4 * s + 2 * pad
        let learn = Rect(x: (width - learnWidth) / 2, y: (height - learnHeight) / 2, width: learnWidth, height: learnHeight)
        return Layout(scale: s, status: status, untrainedBanner: banner, recording: recording, features: features,
                      correlation: correlation, sparkline: sparkline, learnPrompt: learn)
    }

    static let panel = Color(10, 10, 16, 200), text = Color(230, 230, 235), dim = Color(160, 160, 175)
    static let warning = Color(255, 180, 40), recordRed = Color(235, 30, 30)
    // The banner is opaque: legible over any picture.
    static let bannerAmber = Color(255, 176, 0, 255), learnBlue = Color(20, 45, 110, 220)

    /// Draws `state` over `raster` (normally cleared to transparent first).
    public static func draw(_ state: HUDState, into raster: inout Raster) {
        let l = layout(width: raster.width, height: raster.height, outputsLine: !state.outputsLine.isEmpty), s = l.scale
        let pad = 4 * s, line = 10 * s
        func write(_ string: String, _ x: Int, _ y: Int, _ color: Color = text, scale: Int? = nil) {
            BitmapFont.draw(printable(string), x: x, y: y, color: color, scale: scale ?? s, into: &raster)
        }

        // Status: what runs and how fast.
        paint(l.status, panel, into: &raster)
        var y = l.status.y + pad
        write(String(format: "%5.1f FPS  %5.1f MS  LATENCY %4.0f MS", state.fps, state.frameTimeMs, state.latencyMs), l.status.x + pad, y)
        y += line
        // Honest about time: a renderer that cannot keep up shows it here, never as music out of time.
        let timing = state.skips > 0
            ? String(format: "BEHIND: SKIPPED %.1f S OF AUDIO (%dX)", state.skippedSeconds, state.skips)
            : String(format: "ON TIME: %.2f S OF AUDIO WAITING", state.behindSeconds)
        write(timing, l.status.x + pad, y, state.skips > 0 ? warning : dim)
        y += line
        if !state.renderLine.isEmpty { write(state.renderLine, l.status.x + pad, y, state.renderLineIsWarning ? warning : dim) }
        y += line
        write("PRESET " + (state.presetName.isEmpty ? "-" : state.presetName), l.status.x + pad, y)
        y += line
        for part in wrap(state.audioStatus, columns: 42).prefix(2) {
            write(part, l.status.x + pad, y, state.audioStatusIsWarning ? warning : dim)
            y += line
        }
        if !state.outputsLine.isEmpty { write(state.outputsLine, l.status.x + pad, l.status.y + pad + 6 * line, state.outputsLineIsWarning ? warning : dim) }
        if state.untrainedModel {
            paint(l.untrainedBanner, bannerAmber, into: &raster)
            write("UNTRAINED DEMO MODEL", l.untrainedBanner.x + pad, l.untrainedBanner.y + pad, .black, scale: 2 * s)
        }

        drawRecording(state.recording, in: l.recording, scale: s, into: &raster)
        drawFeatures(state, in: l.features, scale: s, into: &raster)

        // Correlation: the number, then how it moved.
        paint(l.correlation, panel, into: &raster)
        write("BALANCED CORRELATION", l.correlation.x + pad, l.correlation.y + pad, dim)
        let value = state.correlation.map { String(format: "%+.2f", $0) } ?? "--"
        write(value, l.correlation.x + pad, l.correlation.y + pad + line, scale: 2 * s)
        drawSparkline(state.correlationHistory, in: l.sparkline, into: &raster)

        if let prompt = state.learnPrompt {
            paint(l.learnPrompt, learnBlue, into: &raster)
            let columns = max(1, (l.learnPrompt.width - 2 * pad) / (BitmapFont.advance * 2 * s))
            for (i, part) in wrap(prompt, columns: columns).prefix(2).enumerated() {
                write(part, l.learnPrompt.x + pad, l.learnPrompt.y + pad + i * 18 * s, scale: 2 * s)
            }
        }
    }

    static func drawRecording(_ recording: HUDState.Recording, in r: Rect, scale s: Int, into raster: inout Raster) {
        let pad = 4 * s
        switch recording {
        case .off:
            return
        case .recording(let elapsed):
            paint(r, panel, into: &raster)
            let radius = 3 * s, cx = r.x + pad + radius, cy = r.y + pad + 7 * s / 2
            for dy in -radius...radius { for dx in -radius...radius where dx * dx + dy * dy <= radius * radius { raster.blend(cx + dx, cy + dy, recordRed) } }
            BitmapFont.draw("REC " + clock(elapsed), x: cx + radius + 3 * s, y: r.y + pad, color: recordRed, scale: s, into: &raster)
        case .stopped(let message):
            paint(r, panel, into: &raster)
            for (i, part) in wrap(message, columns: 32).prefix(2).enumerated() {
                BitmapFont.draw(printable(part), x: r.x + pad, y: r.y + pad + i * 10 * s, color: warning, scale: s, into: &raster)
            }
        }
    }

    static func drawFeatures(_ state: HUDState, in r: Rect, scale s: Int, into raster: inout Raster) {
        paint(r, panel, into: &raster)
        let pad = 4 * s, line = 10 * s, labelWidth = 7 * BitmapFont.advance * s
        let barX = r.x + pad + labelWidth, barWidth = r.maxX - pad - barX
        var y = r.y + pad
        let meters: [(String, Float, Color)] = [("RMS", state.rms, Color(80, 220, 120)), ("ONSETS", state.onsets, Color(255, 150, 60)),
                                                ("PULSE", state.pulse, Color(80, 200, 255))]
        for (name, value, color) in meters {
            BitmapFont.draw(name, x: r.x + pad, y: y, color: dim, scale: s, into: &raster)
            raster.fill(x: barX, y: y, width: barWidth, height: 7 * s, Color(255, 255, 255, 40))
            raster.fill(x: barX, y: y, width: Int(Float(barWidth) * unit(value)), height: 7 * s, color)
            y += line
        }
        // Chroma: twelve bars, C at the left, bottom-aligned.
        BitmapFont.draw("CHROMA", x: r.x + pad, y: y, color: dim, scale: s, into: &raster)
        let chromaHeight = 3 * line - 3 * s, slot = barWidth / 12
        for i in 0..<12 {
            let v = i < state.chroma.count ? unit(state.chroma[i]) : 0
            let h = Int(Float(chromaHeight) * v), x = barX + i * slot
            raster.fill(x: x, y: y, width: slot - s, height: chromaHeight, Color(255, 255, 255, 30))
            raster.fill(x: x, y: y + chromaHeight - h, width: slot - s, height: h, Color.map(0.25 + 0.75 * v))
        }
        y += 3 * line
        let bpm = state.bpm.map { String(format: "%.1f", $0) } ?? "--"
        BitmapFont.draw("BPM    " + bpm + " " + state.tempoSource, x: r.x + pad, y: y, color: state.tempoFallback ? Color(255, 90, 70) : text,
                        scale: s, into: &raster)
        guard !state.tempoSource.isEmpty, state.beat.isFinite else { return }
        // The bar's four beats: the one playing now lit, its remaining part shrinking with the phase.
        y += line
        let beatInBar = Int(state.beat.rounded(.down)) & 3, phase = state.beat - state.beat.rounded(.down)
        let cell = barWidth / 4
        BitmapFont.draw("BEAT", x: r.x + pad, y: y, color: dim, scale: s, into: &raster)
        for i in 0..<4 {
            let x = barX + i * cell
            raster.fill(x: x, y: y, width: cell - s, height: 7 * s, Color(255, 255, 255, 40))
            if i == beatInBar { raster.fill(x: x, y: y, width: Int(Double(cell - s) * (1 - phase)), height: 7 * s, Color(255, 220, 80)) }
        }
    }

    /// The last values (one per pixel column at most) on a symmetric scale around zero, so the sign reads at a glance.
    static func drawSparkline(_ history: [Double], in r: Rect, into raster: inout Raster) {
        raster.fill(x: r.x, y: r.y, width: r.width, height: r.height, Color(255, 255, 255, 20))
        let mid = r.y + r.height / 2
        raster.line(r.x, mid, r.maxX - 1, mid, Color(255, 255, 255, 70))
        let values = history.suffix(r.width).map { $0.isFinite ? $0 : 0 }
        guard values.count >= 2 else { return }
        let range = max(0.2, values.map(abs).max() ?? 0)
        let px = { (i: Int) in r.x + i * (r.width - 1) / (values.count - 1) }
        let py = { (v: Double) in mid - Int(v / range * Double(r.height / 2 - 1)) }
        for i in 1..<values.count { raster.line(px(i - 1), py(values[i - 1]), px(i), py(values[i]), Color(110, 210, 255)) }
    }

    // MARK: helpers

    /// Overwrites a rectangle (clipped) instead of blending: on the transparent HUD raster this keeps the
    /// panel's own alpha, which SDL's blending then applies exactly once.
    static func paint(_ r: Rect, _ c: Color, into raster: inout Raster) {
        let x0 = max(0, r.x), x1 = min(raster.width, r.maxX), y0 = max(0, r.y), y1 = min(raster.height, r.maxY)
        guard x1 > x0, y1 > y0 else { return }
        let w = raster.width
        raster.pixels.withUnsafeMutableBufferPointer { p in
            for y in y0..<y1 { for x in x0..<x1 { let i = 4 * (y * w + x); p[i] = c.r; p[i + 1] = c.g; p[i + 2] = c.b; p[i + 3] = c.a } }
        }
    }

    static func unit(_ v: Float) -> Float { v.isFinite ? max(0, min(1, v)) : 0 }

    /// Seconds as m:ss, or h:mm:ss after an hour.
    static func clock(_ seconds: Double) -> String {
        let t = max(0, Int(seconds.isFinite ? seconds : 0))
        return t >= 3600 ? String(format: "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60) : String(format: "%02d:%02d", t / 60, t % 60)
    }

    /// The 5×7 font has ASCII only: map the typographic characters messages use to their ASCII look-alikes.
    static func printable(_ s: String) -> String {
        var out = ""
        for ch in s {
            switch ch {
            case "—", "–": out.append("-")
            case "…": out.append("...")
            case "’", "‘": out.append("'")
            case "“", "”": out.append("\"")
            case "×": out.append("X")
            case "→": out.append("->")
            case "·", "•": out.append("|")
            default: out.append(ch)
            }
        }
        return out
    }

    /// Splits text into lines of at most `columns` characters at spaces (long words are cut).
    static func wrap(_ text: String, columns: Int) -> [String] {
        var lines: [String] = [], current = ""
        for word in printable(text).split(separator: " ") {
            var word = String(word)
            while word.count > columns {
                if !current.isEmpty { lines.append(current); current = "" }
                lines.append(String(word.prefix(columns))); word = String(word.dropFirst(columns))
            }
            if current.isEmpty { current = word } else if current.count + 1 + word.count <= columns { current += " " + word } else { lines.append(current); current = word }
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }
}
