import Foundation
import Synchronization

/// SIGINT and SIGTERM end the show cleanly: the main loop sees the flag, recordings are finalised.
/// SIGHUP asks for every file to be re-read (the daemon convention; `/lvj/reload` over OSC does the same).
enum StopSignals {
    static var requested: Bool { stop.load(ordering: .acquiring) }

    /// True once per SIGHUP received.
    static func takeReloadRequest() -> Bool { reload.exchange(false, ordering: .acquiringAndReleasing) }

    static func install() {
        stop.store(false, ordering: .releasing)
        for s in [SIGINT, SIGTERM, SIGHUP] {
            signal(s, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: s, queue: .global())
            source.setEventHandler { if s == SIGHUP { reload.store(true, ordering: .releasing) } else { stop.store(true, ordering: .releasing) } }
            source.resume()
            sources.append(source)
        }
    }
    static let stop = Atomic<Bool>(false), reload = Atomic<Bool>(false)
    nonisolated(unsafe) static var sources: [DispatchSourceSignal] = []
}
