import Control
import Tempo

/// The main thread's side of Ableton Link: joins the session while `tempo.source` is link and leaves
/// it otherwise, proposes `tempo.bpm` to it when that is set, and says when peers come and go.
struct LinkFollower {
    private let sourceIndex: Int?, bpmIndex: Int?
    private var seenBPM: Int
    private var peers: Int?

    init(store: ParameterStore) {
        sourceIndex = store.registry.index(of: "tempo.source")
        bpmIndex = store.registry.index(of: "tempo.bpm")
        seenBPM = bpmIndex.map(store.serial) ?? 0
    }

    /// One main-loop turn: the events worth telling (a session that cannot start, peers joining or leaving).
    mutating func poll(store: ParameterStore, tempo: TempoControl) -> [EngineEvent] {
        var events: [EngineEvent] = []
        let source = sourceIndex.map { TempoSource(choiceValue: store.value($0)) } ?? .detect
        do { try tempo.followLink(source: source) } catch { events.append(.linkProblem(reason: "\(error)")) }
        if let i = bpmIndex, store.serial(i) != seenBPM {
            seenBPM = store.serial(i)
            if source == .link { tempo.proposeLink(bpm: store.value(i)) }
        }
        guard source == .link, let link = tempo.link else { peers = nil; return events }
        let state = link.state(atHost: link.hostSeconds)
        if state.peers != peers {
            peers = state.peers
            events.append(.linkPeers(peers: state.peers, bpm: state.bpm))
        }
        return events
    }
}
