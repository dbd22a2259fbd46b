import ArgumentParser
import AudioIn
import Basics
import Control
import Foundation
import Live
import OSCQuery
import StyleGAN
import Synthesis

struct BenchControl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "control",
        abstract: "Latency from an OSC message arriving to its value reaching the decoder, in frames and milliseconds.",
        discussion: """
        Runs the frame producer on the demo track at the network's frame rate with the OSC server on a free \
        loopback port; a second thread sends /lvj/psi at random moments through liblo. For each message: the time \
        from sending to the start of the frame whose decoder input holds the new value, in milliseconds and in frame \
        periods (goal: the next frame, at most 1 period). Also reports the same for the web surface's path (the OSC \
        message as a binary WebSocket frame to the OSCQuery port, as the page sends a fader's move) and for a value set \
        straight into the parameter store (what the MIDI thread does).
        """)

    @Option(help: "Messages to send.")
    var messages = 100

    @OptionGroup var model: ModelOption

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        try reportingErrors {
            // The live engine, headless, its frame producer ticked here (not on its thread): each tick is timed.
            var c = EngineConfiguration()
            c.audio = .file(path: nil, loops: true, throughJACK: false, connect: nil)
            c.modelPath = model.model
            c.renderSize = model.renderSize
            c.window = nil
            c.osc = .init(port: 0, allow: ["127.0.0.1/32"])
            c.oscQueryPort = 0
            let engine = try Engine(c)
            let producer = engine.producer, fps = engine.fps
            producer.parameters.set("control.smoothing", 0)          // measure arrival, not the anti-zipper ramp
            let server = engine.control.osc!
            let client = try OSCClient(port: server.port)
            let web = try WebSocketSender(port: try engine.oscQuery.map(\.port) ?? { throw UsageError("the OSCQuery server did not open") }())
            defer { web.close() }
            let period = 1 / fps
            let progress = Progress("bench control", total: Double(3 * messages), enabled: !json)

            enum Path { case osc, web, store }
            func measure(_ path: Path, done: Int) -> (ms: [Double], ticks: [Int]) {
                var ms: [Double] = [], ticks: [Int] = []
                let clock = { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
                for k in 0..<messages {
                    let value = k % 2 == 0 ? 0.5 : 0.75
                    // Send at a random moment within a frame period, from another thread.
                    let sent = Synchronization_Double()
                    let delay = Double.random(in: 0..<period)
                    let sender = Thread {
                        usleep(UInt32(delay * 1e6))
                        sent.store(clock())
                        switch path {
                        case .osc: client.send("/lvj/psi", [.number(value)])
                        case .web: web.send(oscDatagram("/lvj/psi", [.number(value)]) ?? [])
                        case .store: producer.parameters.set("psi", value)
                        }
                    }
                    sender.start()
                    var tick = 0
                    var applied: Double?
                    let start = clock()
                    while applied == nil && tick < 30 {
                        let frameStart = clock()
                        producer.produceFrame()
                        if let v = producer.currentValue("psi"), abs(v - value) < 1e-6, sent.load() > 0 {
                            applied = frameStart; break
                        }
                        tick += 1
                        let next = start + Double(tick) * period
                        let now = clock()
                        if next > now { usleep(UInt32((next - now) * 1e6)) }
                    }
                    if let applied { ms.append(max(0, applied - sent.load()) * 1000); ticks.append(tick) }
                    progress.update(Double(done + k + 1))
                }
                return (ms, ticks)
            }
            let osc = measure(.osc, done: 0)
            let overWeb = measure(.web, done: messages)
            let direct = measure(.store, done: 2 * messages)
            progress.finish()
            func summary(_ r: (ms: [Double], ticks: [Int])) -> [String: Any] {
                ["received": r.ms.count, "ms_p50": Statistics.percentile(r.ms, 0.5), "ms_p99": Statistics.percentile(r.ms, 0.99),
                 "ms_max": r.ms.max() ?? 0, "frames_max": (r.ms.max() ?? 0) / (1000 * period),
                 "within_one_frame": Double(r.ms.filter { $0 <= 1000 * period + 1 }.count) / Double(max(1, r.ms.count))]
            }
            let result: [String: Any] = ["fps": fps, "frame_ms": 1000 * period, "messages": messages,
                                         "osc": summary(osc), "web": summary(overWeb), "store": summary(direct), "osc_rejected": server.totalRejected]
            if json { FileHandle.standardOutput.write(try JSONSerialization.data(withJSONObject: result, options: [.prettyPrinted, .sortedKeys])); print(); return }
            for (name, r) in [("OSC message (liblo, loopback)", osc), ("web surface (OSC over the OSCQuery WebSocket)", overWeb),
                              ("store set (as the MIDI thread)", direct)] {
                let s = summary(r)
                print(String(format: "%@: %d/%d arrived; send→decoder p50 %.1f ms, p99 %.1f ms, max %.1f ms = %.2f frames; %.0f%% within one frame (%.1f ms, +1 ms)",
                             name, r.ms.count, messages, s["ms_p50"] as! Double, s["ms_p99"] as! Double, s["ms_max"] as! Double,
                             s["frames_max"] as! Double, 100 * (s["within_one_frame"] as! Double), 1000 * period))
            }
        }
    }
}

/// A Double shared between the sender thread and the bench loop.
final class Synchronization_Double: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0.0
    func store(_ v: Double) { lock.lock(); value = v; lock.unlock() }
    func load() -> Double { lock.lock(); defer { lock.unlock() }; return value }
}
