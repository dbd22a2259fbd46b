import AudioIn
import Basics
import Control
import Foundation
import Synchronization
import Tempo

/// The control thread for MIDI (spec "Threads": control): every millisecond it takes what the JACK
/// MIDI port (and the ALSA sequencer, where there is one) received, turns it into `MIDIMessage`s and
/// hands them to MIDI learn or the mapping router, which write the lock-free parameter store. OSC
/// addresses that a mapping file binds come here too (from liblo's thread), so one router serves both.
/// MIDI clock goes to the tempo tracker with its JACK time, and taps (`tempo.tap`, however set) are
/// stamped here on the audio clock.
public final class MIDIControl: @unchecked Sendable {
    /// A MIDI input: the messages that arrived, each with its time on the audio clock (seconds), where
    /// the input stamps one (JACK does; ALSA's are taken as arriving now).
    public typealias ByteSource = () -> [(bytes: [UInt8], seconds: Double?)]

    public let store: ParameterStore
    /// The mapping files in use (a MIDI controller's and a tablet's, say), merged into one router. The
    /// first is the active one: learned bindings are saved there. Reloaded after learn; `reload()` also
    /// picks up edits.
    public let mappingPaths: [String]
    public var mappingPath: String? { mappingPaths.first }
    private let router: Lock<MappingRouter>
    private let learn: MIDILearn
    private var sources: [ByteSource] = []
    private var thread: Thread?
    private let stopFlag = Atomic<Bool>(false)
    private let done = DispatchSemaphore(value: 0)
    /// What the main loop must act on: preset slots from program changes, learn results. Shared, so
    /// the router's program-change closure can hold it before `self` exists.
    private let pending = Shared<(slots: [Int], learned: [String])>(([], []))
    private let counters = Lock<(messages: Int, garbage: Int)>((0, 0))
    /// Where MIDI clock, start, stop, continue and song position go (nil: they are ignored), and the
    /// audio clock now (s), for messages without a time of their own and for taps.
    public var tempo: TempoControl?
    public var clockNow: () -> Double? = { nil }
    /// `tempo.tap` (set by OSC, a mapped control or a key): each set is a tap, stamped by this thread
    /// within a millisecond of it, not at the next frame.
    private let tapIndex: Int?
    private var seenTaps = 0
    /// Controller feedback (entries with `feedback: true`) and where it goes (JACK's `midi_out`; nil:
    /// none). Changed values are sent at most every `feedbackInterval` seconds; everything at start,
    /// after a preset recall and after a morph (`refreshFeedback`).
    public var feedbackOut: (([[UInt8]]) -> Void)?
    public static let feedbackInterval = 0.02
    private let feedback: Lock<MappingFeedback>
    private let refreshWanted = Atomic<Bool>(true)
    private var lastFeedback: UInt64 = 0
    private let feedbackCounter = Atomic<Int>(0)

    /// Loads the mappings (an error names file, line and field).
    public convenience init(store: ParameterStore, mappingPath: String?) throws {
        try self.init(store: store, mappingPaths: mappingPath.map { [$0] } ?? [])
    }

    public init(store: ParameterStore, mappingPaths: [String]) throws {
        self.store = store
        self.mappingPaths = mappingPaths
        learn = MIDILearn(registry: store.registry)
        tapIndex = store.registry.index(of: "tempo.tap")
        seenTaps = tapIndex.map(store.serial) ?? 0
        let mapping = try Self.load(mappingPaths, registry: store.registry)
        let pending = self.pending
        router = Lock(MappingRouter(mapping: mapping, store: store, onProgram: { slot in pending.value.withLock { $0.slots.append(slot) } }))
        feedback = Lock(MappingFeedback(mapping: mapping, registry: store.registry))
    }

    private static func loadOrEmpty(_ path: String, registry: ParameterRegistry) throws -> Mapping {
        FileManager.default.fileExists(atPath: path) ? try Mapping.load(path: path, registry: registry)
            : Mapping(name: (path as NSString).lastPathComponent, entries: [])
    }

    /// Every file's entries in one mapping; on a control bound twice, the earlier file wins.
    private static func load(_ paths: [String], registry: ParameterRegistry) throws -> Mapping {
        let files = try paths.map { try loadOrEmpty($0, registry: registry) }
        return Mapping(name: files.isEmpty ? "none" : files.map(\.name).joined(separator: " + "),
                       entries: files.flatMap(\.entries), skipped: files.flatMap(\.skipped))
    }

    deinit { stop() }

    public var mappingName: String { router.withLock { $0.mapping.name } }
    public var entryCount: Int { router.withLock { $0.mapping.entries.count } }
    public var messageCount: Int { counters.withLock { $0.messages } }
    public var garbageCount: Int { counters.withLock { $0.garbage } }

    /// Adds a byte source (JACK's `midi_in`, ALSA) polled by the control thread.
    public func add(source: @escaping ByteSource) { sources.append(source) }

    /// The control thread holds the controller until `stop()` ends it (an unowned reference would be
    /// read while a dropped controller deinitialises: a crash). Owners call `stop()`; the engine does.
    public func start() {
        let t = Thread { [self] in
            while !self.stopFlag.load(ordering: .acquiring) {
                self.pollOnce()
                usleep(1_000)
            }
            self.done.signal()
        }
        t.name = "latentvj MIDI"
        thread = t
        t.start()
    }

    public func stop() {
        guard thread != nil else { return }
        stopFlag.store(true, ordering: .releasing)
        done.wait()
        thread = nil
    }

    /// One turn of the control thread (tests call it directly).
    public func pollOnce() {
        for source in sources { for m in source() { handle(bytes: m.bytes, at: m.seconds) } }
        if let tapIndex, store.serial(tapIndex) != seenTaps {
            seenTaps = store.serial(tapIndex)
            if let tempo, let now = clockNow() { tempo.tap(at: now) }
        }
        sendFeedback()
    }

    /// Controls whose entries give feedback.
    public var feedbackEntries: Int { feedback.withLock { $0.count } }
    /// Feedback messages queued for the controller so far.
    public var feedbackSent: Int { feedbackCounter.load(ordering: .relaxed) }

    /// Sends every feedback value again at the next turn (start, a preset recalled, a morph finished).
    public func refreshFeedback() { refreshWanted.store(true, ordering: .relaxed) }

    /// Changed values, at most every `feedbackInterval`; every value when a refresh was asked for.
    private func sendFeedback() {
        guard let feedbackOut else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        guard now - lastFeedback >= UInt64(Self.feedbackInterval * 1e9) else { return }
        lastFeedback = now
        let all = refreshWanted.exchange(false, ordering: .relaxed)
        let messages = feedback.withLock { $0.messages(store, all: all) }
        guard !messages.isEmpty else { return }
        feedbackOut(messages)
        feedbackCounter.wrappingAdd(messages.count, ordering: .relaxed)
    }

    /// Replaces the router's mapping, and the feedback that follows it (everything is sent again).
    private func replace(mapping: Mapping) {
        router.withLock { $0.replace(mapping: mapping) }
        feedback.withLock { $0 = MappingFeedback(mapping: mapping, registry: store.registry) }
        refreshFeedback()
    }

    /// Raw MIDI bytes from any source: garbage is counted and dropped, never fatal. System real-time
    /// messages (clock, start, stop, continue) and song position go to the tempo tracker, stamped with
    /// `seconds` on the audio clock.
    public func handle(bytes: [UInt8], at seconds: Double? = nil) {
        if let status = bytes.first, status >= 0xF8 || status == 0xF2 {
            let time = seconds ?? clockNow()
            if let tempo, let time {
                _ = tempo.receive(status: status, data1: bytes.count > 1 ? bytes[1] : 0, data2: bytes.count > 2 ? bytes[2] : 0, at: time)
            }
            return      // real-time traffic: never a control, never garbage
        }
        guard let message = MIDIMessage(bytes: bytes) else { counters.withLock { $0.garbage += 1 }; return }
        counters.withLock { $0.messages += 1 }
        // Learn is armed and cancelled from the main thread under the router's lock: offered under it too.
        let learned: Mapping.Entry? = router.withLock { r in
            if let entry = learn.offer(message) { return entry }
            _ = r.handle(message)
            return nil
        }
        if let control = message.control { feedback.withLock { $0.moved(control, store) } }
        if let learned { bind(learned) }
    }

    /// OSC addresses a mapping binds (a TouchOSC layout), with every argument of the message (an XY
    /// pad sends x and y; each entry's `arg:` picks one): from liblo's thread.
    public func handle(osc address: String, arguments: [Double]) -> Bool {
        router.withLock { r in
            guard r.handles(osc: address) else { return false }
            r.handle(osc: address, arguments: arguments)
            return true
        }
    }

    /// Arms learn: the next control moved binds to `parameter` and is written to the mapping file.
    public func arm(learn parameter: Int) { router.withLock { _ in learn.arm(parameter: parameter) } }
    public func cancelLearn() { router.withLock { _ in learn.cancel() } }
    public var learning: Int? { router.withLock { _ in learn.armed } }

    /// Main loop: preset slots asked for by program change, and learn results to show.
    public func takePending() -> (slots: [Int], learned: [String]) {
        pending.value.withLock { p in defer { p = ([], []) }; return p }
    }

    /// Re-reads the mapping file; on an error the previous mapping stays active and the error is returned.
    @discardableResult
    public func reload() -> String? {
        guard !mappingPaths.isEmpty else { return nil }
        do {
            let mapping = try Self.load(mappingPaths, registry: store.registry)
            replace(mapping: mapping)
            return nil
        } catch {
            return "\(error)"
        }
    }

    private func bind(_ entry: Mapping.Entry) {
        let name: String
        if case .parameter(let i) = entry.target { name = store.registry[i].name } else { name = "preset" }
        var text = "learned: \(entry.control) → \(name)"
        if let mappingPath {
            do {
                try MIDILearn.append(entry, registry: store.registry, toFile: mappingPath)
                text += " (saved in \((mappingPath as NSString).lastPathComponent))"
                if let problem = reload() { text += "; \(problem)" }
            } catch {
                text += " (not saved: \(error))"
                var m = router.withLock { $0.mapping }
                m.entries.append(entry)
                replace(mapping: m)
            }
        }
        pending.value.withLock { $0.learned.append(text) }
    }
}
