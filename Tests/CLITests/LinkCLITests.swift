import Foundation
import TestSupport
import XCTest

/// `--tempo link` against a second Ableton Link peer (aalink, which embeds Ableton's Link), both in a
/// private network namespace whose loopback carries the multicast discovery: the engine joins the
/// session, follows its tempo and its phase in the configured quantum, proposes tempi of its own
/// (`tempo.bpm`, taps), and says when the peer leaves.
final class LinkCLITests: CLIWorkspaceTestCase {
    /// One `/lvj/status/tempo` the peer received, with its own beat at the Link time the engine's is for.
    struct Status {
        let bpm: Double, beat: Double, fallback: Bool, peers: Int, peerBeat: Double
        /// When the engine's beat is for, against when its report arrived (s on Link's clock): the beat
        /// is the one on screen now, so the two are a frame or two apart.
        let lead: Double
        init?(_ line: [String: Any]) {
            guard let a = line["tempo"] as? [Any], a.count >= 8, a[0] as? String == "link",
                  let bpm = a[1] as? Double, let beat = a[3] as? Double, let fallback = a[5] as? Double, let peers = a[6] as? Double,
                  let host = a[7] as? Double, let peerBeat = line["peer_beat"] as? Double, let received = line["received"] as? Double else { return nil }
            (self.bpm, self.beat, self.fallback, self.peers, self.peerBeat) = (bpm, beat, fallback != 0, Int(peers), peerBeat)
            lead = host - received
        }

        /// The engine's beat minus the peer's, in the quantum's cycle (−q/2 ..< q/2): 0 when in phase.
        func phaseError(quantum: Double) -> Double {
            let d = (beat - peerBeat).truncatingRemainder(dividingBy: quantum)
            return d >= quantum / 2 ? d - quantum : d < -quantum / 2 ? d + quantum : d
        }
    }

    func testFollowsAndLeadsALinkSessionInAPrivateNetwork() throws {
        let probe = try CLI.runProgram("/usr/bin/env", ["python3", "-c", "import aalink, pythonosc"])
        try XCTSkipUnless(probe.status == 0, "aalink or python-osc is not installed (scripts/setup.sh installs them from PyPI): \(probe.stderr.suffix(300))")
        let namespace = try NetworkNamespace("link", multicast: true)
        let quantum = 3.0
        let engine = try RunningEngine(launch: namespace.exec([CLI.binary] + CLI.liveAsIs(["live", "--json", "--seconds", "900", "--headless", "--osc-port", "9000",
                                                                                            "--tempo", "link", "--link-quantum", "\(quantum)"])),
                                       environment: environment, subscribe: false)
        /// Waits for the `occurrence`th `link_peers` event saying `n` peers.
        func peersEvent(_ n: Int, occurrence: Int = 1) throws {
            try waitFor("event link_peers \(n) (#\(occurrence))", timeout: 60, details: { engine.child.failureDetails() }) {
                engine.child.jsonLines.filter { $0["event"] as? String == "link_peers" && $0["peers"] as? Int == n }.count >= occurrence
            }
        }
        try peersEvent(0)                                   // alone in the session: the detected beat stands in
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Scripts/link_peer.py").path
        let peer = try ChildProcess(commandLine: namespace.exec(["python3", script, "9000", "120", "\(quantum)"]), environment: environment,
                                    name: "link peer", input: true)
        try peersEvent(1)

        /// Waits for `count` statuses newer than the ones seen so far at `bpm`, then checks their phase.
        var seen = 0
        func statuses(at bpm: Double, count: Int = 4, _ what: String) throws {
            var matching: [Status] = []
            try waitFor("\(count) engine tempo reports at \(bpm) BPM (\(what))", timeout: 60, details: { peer.tail + "\n" + engine.child.failureDetails() }) {
                let all = peer.jsonLines.compactMap(Status.init)
                matching = all.dropFirst(seen).filter { abs($0.bpm - bpm) < 0.01 && !$0.fallback && $0.peers == 1 }
                return matching.count >= count
            }
            seen = peer.jsonLines.compactMap(Status.init).count
            let errors = matching.map { $0.phaseError(quantum: quantum) }
            print(String(format: "link %@: %.1f BPM, phase error (beats) %@; beat for %@ s after its report", what, bpm,
                         errors.map { String(format: "%+.4f", $0) }.joined(separator: " "), matching.map { String(format: "%+.3f", $0.lead) }.joined(separator: " ")))
            for e in errors { XCTAssertLessThan(abs(e), 0.02, "\(what): in phase with the peer within the quantum of \(quantum) beats") }
            // The audio clock maps to Link's: the beat reported is for about now (the frame on screen).
            for s in matching { XCTAssertLessThan(abs(s.lead), 0.3, "\(what): the beat is for \(s.lead) s from its report") }
        }
        func peerTempo(_ bpm: Double, _ what: String, tolerance: Double = 0.01) throws {
            try waitFor("the peer at \(bpm) BPM (\(what))", timeout: 60, details: { peer.tail + "\n" + engine.child.failureDetails() }) {
                guard let last = peer.jsonLines.last(where: { $0["peer"] != nil })?["peer"] as? [String: Any], let t = last["bpm"] as? Double else { return false }
                return abs(t - bpm) < tolerance
            }
        }

        try statuses(at: 120, "joined")
        peer.write(line: "tempo 132")                       // the booth changes tempo
        try statuses(at: 132, "the peer changed tempo")
        peer.write(line: "send /lvj/tempo/bpm 140")         // the VJ sets one (OSC, a knob)
        try peerTempo(140, "tempo.bpm proposed")
        try statuses(at: 140, "after the engine's proposal")
        peer.write(line: "taps 6 100")                      // or taps it
        try peerTempo(100, "taps proposed", tolerance: 5)
        peer.write(line: "quit")
        XCTAssertEqual(try peer.waitForExit(timeout: 60), 0, peer.tail)
        try peersEvent(0, occurrence: 2)                    // the peer left: back to the detected beat
        let end = try engine.stop()
        XCTAssertEqual(end.status, 0, end.stderr)
    }
}
