import CAbletonLink

/// A seat in an Ableton Link session: the shared tempo and beat of the apps, DJ software and devices
/// on the local network. Link is joined only while enabled (no discovery traffic before), and its beat
/// is read at a time on Link's host clock (`hostSeconds`) with the configured quantum, so the phase in
/// a bar of `quantum` beats is the same on every peer.
///
/// Reads (`state(atHost:)`) are safe from any thread and allocate nothing: the frame producer takes one
/// per feature row. Enabling and proposing a tempo belong to a control thread.
public final class LinkSession: @unchecked Sendable {
    public struct State: Equatable, Sendable {
        public var bpm: Double
        /// Beats on the session's timeline, aligned so that `beat` mod quantum is the shared phase.
        public var beat: Double
        public var playing: Bool
        /// The other peers in the session (0: alone).
        public var peers: Int

        /// As a tempo reading; nil while no other peer is in the session, so the engine keeps to the
        /// detected beat rather than a timeline nobody else plays. The beat runs whether or not the
        /// session plays (Link's timeline always does).
        public var reading: TempoReading? {
            peers > 0 && bpm > 0 ? TempoReading(source: .link, bpm: bpm, beat: beat, running: true) : nil
        }
    }

    public struct StartFailed: Error, CustomStringConvertible {
        public let reason: String
        public var description: String { "Ableton Link could not start: \(reason)" }
    }

    private let handle: OpaquePointer
    /// Beats to a phase cycle (`--link-quantum`): 4 aligns bars of 4/4.
    public let quantum: Double

    public init(bpm: Double = 120, quantum: Double = 4) throws {
        var error = [CChar](repeating: 0, count: 256)
        guard let handle = lvj_link_create(bpm, &error, Int32(error.count)) else {
            throw StartFailed(reason: String(cString: error))
        }
        self.handle = handle
        self.quantum = max(1, quantum)
        lvj_link_enable_start_stop_sync(handle, true)
    }

    deinit { lvj_link_destroy(handle) }

    /// Joined: discovery runs and the session's tempo is followed.
    public var enabled: Bool {
        get { lvj_link_is_enabled(handle) }
        set { if newValue != enabled { lvj_link_enable(handle, newValue) } }
    }

    /// Link's host clock now (s): CLOCK_MONOTONIC_RAW on Linux.
    public var hostSeconds: Double { Double(lvj_link_clock_micros(handle)) / 1e6 }

    public func state(atHost seconds: Double) -> State {
        let s = lvj_link_capture(handle, Self.micros(seconds), quantum)
        return State(bpm: s.tempo, beat: s.beat, playing: s.playing, peers: Int(s.peers))
    }

    /// Proposes `bpm` to every peer from now on (a tap, `tempo.bpm`).
    public func propose(bpm: Double) {
        guard bpm.isFinite, bpm > 0 else { return }
        lvj_link_set_tempo(handle, min(999, max(20, bpm)), lvj_link_clock_micros(handle))
    }

    private static func micros(_ seconds: Double) -> Int64 { Int64((seconds * 1e6).rounded()) }
}
