import Foundation

/// A progress line with an ETA on standard error.
///
/// On a terminal it redraws one line; otherwise (CI logs, pipes) it prints a line every 10 %,
/// so logs stay short but a long job still shows that it is alive.
public final class Progress {
    private let label: String
    private let total: Double
    private let start = Date()
    private let interactive: Bool
    private let enabled: Bool
    private var lastDrawn = Date.distantPast
    private var lastDecile = -1
    private var finished = false
    private var detail = ""

    public init(_ label: String, total: Double, enabled: Bool = true) {
        self.label = label
        self.total = max(total, 1e-9)
        self.enabled = enabled
        self.interactive = isatty(STDERR_FILENO) != 0
    }

    /// Reports that `done` of `total` units are complete; `detail` (e.g. "loss 0.41") rides along.
    public func update(_ done: Double, detail newDetail: String? = nil) {
        guard enabled, !finished else { return }
        if let newDetail { detail = " " + newDetail }
        let fraction = min(max(done / total, 0), 1)
        let now = Date()
        if interactive {
            guard now.timeIntervalSince(lastDrawn) > 0.1 || fraction >= 1 else { return }
            lastDrawn = now
            let width = 30
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            FileHandle.standardError.write("\r\(label) [\(bar)] \(percent(fraction))\(detail) \(eta(fraction, now))\u{1B}[K")
        } else {
            let decile = Int(fraction * 10)
            guard decile > lastDecile else { return }
            lastDecile = decile
            FileHandle.standardError.write("\(label): \(percent(fraction))\(detail) \(eta(fraction, now))\n")
        }
    }

    /// Ends the progress line, printing the elapsed time.
    public func finish() {
        guard enabled, !finished else { return }
        update(total)
        finished = true
        let elapsed = Date().timeIntervalSince(start)
        let line = String(format: "%@: done in %.1f s", label, elapsed)
        FileHandle.standardError.write(interactive ? "\r\(line)\u{1B}[K\n" : "\(line)\n")
    }

    private func percent(_ f: Double) -> String { String(format: "%3d%%", Int((f * 100).rounded(.down))) }

    private func eta(_ fraction: Double, _ now: Date) -> String {
        let elapsed = now.timeIntervalSince(start)
        guard fraction > 0.01, fraction < 1 else { return fraction >= 1 ? "" : "ETA --" }
        let remaining = elapsed / fraction - elapsed
        return "ETA " + Progress.clock(remaining)
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60)
                         : String(format: "%d:%02d", s / 60, s % 60)
    }
}

extension FileHandle {
    /// Writes a string as UTF-8; used for messages on standard error.
    public func write(_ string: String) {
        write(string.data(using: .utf8)!)
    }
}
