import Basics
import Control
import Foundation
import Outputs

/// The outputs into the VJ's rig as the engine runs them: each `--output` opened at start as its own
/// sink on the producer (one that cannot open says why, and the show goes on without it), switched by
/// its `output.NAME` parameter, reported in the HUD, in `/lvj/status/outputs` and in events.
public final class EngineOutputs {
    public let sinks: [OutputSink]
    private let parameters: [Int?]
    private var reportedDropped: [Int]
    /// Engine time until which an output that dropped frames is shown amber.
    private var warnUntil: [Double]

    /// `output.NAME` for each target: the kind, numbered when one kind is used twice (rtp, rtp2).
    public static func names(of targets: [OutputTarget]) -> [String] {
        var seen: [OutputTarget.Kind: Int] = [:]
        return targets.map { t in
            seen[t.kind, default: 0] += 1
            let n = seen[t.kind]!
            return n == 1 ? t.kind.rawValue : "\(t.kind.rawValue)\(n)"
        }
    }

    init(_ configuration: EngineConfiguration, renderSize: Int, fps: Double, producer: FrameProducer, notices: inout [EngineEvent]) {
        let names = Self.names(of: configuration.outputs)
        let size = configuration.outputSize ?? (renderSize, renderSize)
        var sinks: [OutputSink] = []
        for (target, name) in zip(configuration.outputs, names) {
            // The output's own ?size= and ?fps=, else --output-size and --output-fps, else the render's.
            let format = OutputFormat(width: target.width ?? size.width, height: target.height ?? size.height,
                                      fps: min(target.fps ?? configuration.outputFPS ?? fps, fps))
            do {
                let sink = try OutputSink(target: target, name: name, sourceWidth: renderSize, sourceHeight: renderSize, format: format,
                                          engineFPS: fps, ndiRuntime: configuration.ndiRuntime)
                sinks.append(sink)
                producer.attach(sink)
                notices.append(.outputOpened(name: name, uri: target.uri, width: format.width, height: format.height, fps: format.fps))
            } catch {
                notices.append(.outputProblem(name: name, uri: target.uri, reason: (error as? OutputError)?.reason ?? "\(error)"))
            }
        }
        self.sinks = sinks
        parameters = sinks.map { producer.parameters.registry.index(of: "output.\($0.name)") }
        reportedDropped = sinks.map { _ in 0 }
        warnUntil = sinks.map { _ in 0 }
    }

    /// Main loop: each output on or off as its parameter says; failures and recoveries as events.
    func tick(now: Double, store: ParameterStore) -> [EngineEvent] {
        var events: [EngineEvent] = []
        for (i, sink) in sinks.enumerated() {
            if let p = parameters[i] { sink.enabled = store.value(p) >= 0.5 }
            for change in sink.takeChanges() {
                switch change {
                case .failed(let reason): events.append(.outputProblem(name: sink.name, uri: sink.target.uri, reason: reason))
                case .recovered: events.append(.outputRecovered(name: sink.name))
                }
            }
            let dropped = sink.dropped
            if dropped > reportedDropped[i] { reportedDropped[i] = dropped; warnUntil[i] = now + 2 }
        }
        return events
    }

    /// The HUD's outputs line: each output's name and frames sent, amber while one drops or retries.
    func hudLine(now: Double) -> (text: String, warning: Bool) {
        guard !sinks.isEmpty else { return ("", false) }
        var warning = false
        let parts = sinks.enumerated().map { i, sink -> String in
            let c = sink.counters
            if case .retrying = sink.state { warning = true; return "\(sink.name) RETRYING" }
            if !sink.enabled { return "\(sink.name) OFF" }
            if now < warnUntil[i] { warning = true; return "\(sink.name) \(c.sent) (\(c.dropped) DROPPED)" }
            return "\(sink.name) \(c.sent)"
        }
        return ("OUT " + parts.joined(separator: " | ").uppercased(), warning)
    }

    /// One `/lvj/status/outputs` message per output: name, URI, on (1/0), sending (1/0), frames sent,
    /// frames dropped, restarts, and the reason of a failure ("" while sending).
    var status: [[OSCValue]] {
        sinks.map { sink in
            let c = sink.counters
            var reason = ""
            if case .retrying(let why) = sink.state { reason = why }
            return [.text(sink.name), .text(sink.target.uri), .number(sink.enabled ? 1 : 0), .number(reason.isEmpty ? 1 : 0),
                    .number(Double(c.sent)), .number(Double(c.dropped)), .number(Double(c.restarts)), .text(reason)]
        }
    }

    var summary: [EngineSummary.Output] {
        sinks.map { s in
            let c = s.counters
            let h = s.handoffPercentiles()
            return EngineSummary.Output(name: s.name, uri: s.target.uri, taken: c.taken, sent: c.sent, dropped: c.dropped, restarts: c.restarts,
                                        handoffP50: h.p50, handoffP99: h.p99)
        }
    }

    func stop() { for sink in sinks { sink.stop() } }
}
