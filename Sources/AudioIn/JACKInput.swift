import Basics
import CJack
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Counters of a `JACKInput`, read at one moment (each is exact; together they are a near-snapshot).
public struct JACKStats: Equatable, Sendable {
    public var callbacks: Int
    public var xruns: Int
    /// Capture samples (not frames) dropped because the consumer left the ring full.
    public var overflows: Int
    /// MIDI messages dropped: ring full, or longer than three bytes (SysEx).
    public var midiDropped: Int
    /// Frames of silence played in cycles where the playback ring ran dry part-way.
    public var playbackShortfall: Int
    public var sampleRate: Int
    public var bufferSize: Int
    /// JACK frame time at the start of the latest cycle (compare with `jack_frame_time` for latency).
    public var lastFrameTime: UInt32
    /// `jack_get_time()` (microseconds) when the latest callback ran.
    public var lastCallbackMicros: UInt64
}

/// JACK transport as the latest process cycle saw it, with bar, beat and tick from a timebase master.
public struct JACKTransport: Equatable, Sendable {
    public var rolling: Bool
    public var bar: Int, beat: Int, tick: Int
    public var ticksPerBeat: Double, beatsPerBar: Double, bpm: Double
    /// The cycle's audio clock (unwrapped JACK frame time) the position is for.
    public var cycleClock: Int
}

/// The live engine's JACK client: audio inputs `in_1`/`in_2`, MIDI input `midi_in`, and optionally
/// audio outputs `out_1`/`out_2` that play what a file player writes.
///
/// Threads: JACK's process thread is the producer of the capture and MIDI rings and the consumer of the
/// playback ring; one engine thread (the frame producer) calls `read`/`readMIDI`; one player thread
/// calls `writePlayback`; lifecycle calls (`activate`, `connect`, `reconnect`, `close`) come from one
/// engine thread. Captured audio is interleaved stereo: in_1, in_2, in_1, in_2, ...
public final class JACKInput: @unchecked Sendable {
    public struct Options: Sendable {
        public var clientName = "latentvj"
        /// A named server (`jackd -n NAME`); nil is the default server (or `$JACK_DEFAULT_SERVER`).
        public var serverName: String?
        /// Register `out_1`/`out_2` for file playback.
        public var playbackOutputs = false
        /// With playback outputs: the capture ring receives what out_1/out_2 play, in the same cycle,
        /// instead of in_1/in_2, so a played file is analysed exactly in sync with what is heard.
        public var analysePlayback = false
        /// Capture ring size in frames (rounded up to a power of two): 2^17 is 2.7 s at 48 kHz.
        public var captureFrames = 1 << 17
        public var playbackFrames = 1 << 16
        public var midiEvents = 1024
        public init() {}
    }

    public let options: Options
    /// The name JACK gave the client: `options.clientName`, or a variant (`latentvj-01`) if it was taken.
    public private(set) var clientName: String
    public private(set) var isActive = false
    private let context: UnsafeMutablePointer<JACKProcessContext>
    /// The context's counters, kept here too: reading them from the frame producer must not read the
    /// context struct, whose client and port fields the engine thread writes on a reconnect.
    private let counters: UnsafeMutablePointer<Atomic<Int>>
    /// The rings, likewise (copies of a ring share its storage).
    private let capture: SPSCRing<Float>, midi: SPSCRing<JACKMIDIEvent>, playback: SPSCRing<Float>
    /// Controller feedback to `midi_out`: the control thread queues, the process callback sends.
    private let feedback: SPSCRing<JACKMIDIEvent>
    /// Feedback messages sent per cycle at most (a full refresh of a big controller spreads over cycles).
    static let feedbackPerCycle = 32
    /// What `reconnect()` restores: activation and the requested connections.
    private var wantsActive = false
    private var connectPatterns: [String] = []
    private var wantsSpeakers = false

    /// Opens the client and registers its ports; the client does not run until `activate()`.
    public init(options: Options = Options()) throws {
        self.options = options
        clientName = options.clientName
        let counters = UnsafeMutablePointer<Atomic<Int>>.allocate(capacity: JACKCounter.allCases.count)
        for i in 0..<JACKCounter.allCases.count { (counters + i).initialize(to: Atomic(0)) }
        self.counters = counters
        capture = SPSCRing(minimumCapacity: 2 * options.captureFrames)
        midi = SPSCRing(minimumCapacity: options.midiEvents)
        playback = SPSCRing(minimumCapacity: 2 * options.playbackFrames)
        feedback = SPSCRing(minimumCapacity: 1024)
        context = .allocate(capacity: 1)
        context.initialize(to: JACKProcessContext(
            capture: capture, midi: midi, feedback: feedback, feedbackBatch: .allocate(capacity: Self.feedbackPerCycle), playback: playback,
            counters: counters,
            capturesPlayback: options.playbackOutputs && options.analysePlayback))
        try open()
    }

    deinit {
        close()
        let c = context.pointee
        c.capture.deallocate(); c.midi.deallocate(); c.playback.deallocate(); c.feedback.deallocate(); c.feedbackBatch.deallocate()
        c.counters.deinitialize(count: JACKCounter.allCases.count)
        c.counters.deallocate()
        context.deinitialize(count: 1)
        context.deallocate()
    }

    // MARK: Lifecycle

    /// False after the server shut down (or `close()`); the engine then calls `reconnect()` every 2 s.
    public var isConnected: Bool { counter(.clientOpen) != 0 && counter(.shutDown) == 0 }

    private func counter(_ which: JACKCounter) -> Int { (counters + which.rawValue).pointee.load(ordering: .acquiring) }

    /// Starts the callbacks and makes the connections asked for so far.
    public func activate() throws {
        guard isConnected, let client = context.pointee.client else { throw JACKError.notConnected }
        if !isActive {
            guard jack_activate(client) == 0 else { throw JACKError.activationFailed(client: clientName) }
            isActive = true
        }
        wantsActive = true
        for pattern in connectPatterns { try connectNow(pattern) }
        if wantsSpeakers { try connectSpeakersNow() }
    }

    /// Connects every output port whose name matches `pattern` (a POSIX regex, so a plain substring such
    /// as `system:capture` works): audio ports alternately to in_1 and in_2 (a single one to both), MIDI
    /// ports to midi_in. Our own ports never match. The pattern is remembered: connections are made now if
    /// the client is active, else on `activate()`, and again after `reconnect()`. Returns how many
    /// connections were made now (0 before activation, or when nothing matches yet).
    @discardableResult
    public func connect(pattern: String) throws -> Int {
        if !connectPatterns.contains(pattern) { connectPatterns.append(pattern) }
        return isActive ? try connectNow(pattern) : 0
    }

    /// Connects out_1/out_2 to the server's physical playback ports (the sound card; the dummy driver's
    /// `system:playback_N`), so the VJ hears a played file. Returns how many connections were made;
    /// remembered like `connect(pattern:)` and restored after `reconnect()`.
    @discardableResult
    public func connectOutputsToSpeakers() throws -> Int {
        wantsSpeakers = true
        return isActive ? try connectSpeakersNow() : 0
    }

    /// Releases a dead client and opens a new one with the same options, reactivates it and restores the
    /// connections (a source that has not come back yet is not an error). Does nothing while connected.
    public func reconnect() throws {
        if isConnected { return }
        close()
        try open()
        if wantsActive { try activate() }
    }

    /// Stops the callbacks and closes the client. The rings keep what they hold.
    public func close() {
        guard let client = context.pointee.client else { return }
        if isActive && counter(.shutDown) == 0 { jack_deactivate(client) }
        jack_client_close(client)
        isActive = false
        (counters + JACKCounter.clientOpen.rawValue).pointee.store(0, ordering: .releasing)
        context.pointee.client = nil
        context.pointee.in1 = nil; context.pointee.in2 = nil; context.pointee.midiIn = nil; context.pointee.midiOut = nil
        context.pointee.out1 = nil; context.pointee.out2 = nil
    }

    /// Full names of our ports (`latentvj:in_1`, ...), in registration order.
    public var portNames: [String] {
        let c = context.pointee
        return [c.in1, c.in2, c.midiIn, c.midiOut, c.out1, c.out2].compactMap { port in
            port.flatMap { jack_port_name($0) }.map { String(cString: $0) }
        }
    }

    // MARK: Consumer side (the frame producer thread)

    /// Frames waiting in the capture ring.
    public var availableFrames: Int { capture.count / 2 }

    /// Moves up to `maxFrames` of the oldest captured frames, interleaved stereo, into `buffer` (room for
    /// 2 × maxFrames floats); returns the frames moved.
    public func read(into buffer: UnsafeMutablePointer<Float>, maxFrames: Int) -> Int {
        let frames = min(maxFrames, availableFrames)
        return capture.read(into: buffer, maxCount: 2 * frames) / 2
    }

    public func read(into buffer: inout [Float], maxFrames: Int) -> Int {
        precondition(buffer.count >= 2 * maxFrames, "the buffer holds interleaved stereo: 2 floats per frame")
        return buffer.withUnsafeMutableBufferPointer { read(into: $0.baseAddress!, maxFrames: maxFrames) }
    }

    /// Drops the oldest frames unread, e.g. to catch up to the newest audio after a stall; returns how many.
    @discardableResult
    public func skip(frames: Int) -> Int { capture.skip(2 * min(frames, availableFrames)) / 2 }

    /// Moves up to `maxEvents` MIDI messages, oldest first, into `buffer`; returns how many.
    public func readMIDI(into buffer: UnsafeMutablePointer<JACKMIDIEvent>, maxEvents: Int) -> Int {
        midi.read(into: buffer, maxCount: maxEvents)
    }

    /// Every waiting MIDI message (allocates: for the control thread, not the frame producer).
    public func readMIDI() -> [JACKMIDIEvent] {
        let n = midi.count
        guard n > 0 else { return [] }
        return [JACKMIDIEvent](unsafeUninitializedCapacity: n) { buffer, count in
            count = readMIDI(into: buffer.baseAddress!, maxEvents: n)
        }
    }

    /// Queues messages (1 to 3 bytes) for `midi_out`: controller feedback, from the control thread.
    /// Returns how many were queued (a full queue drops the rest; feedback is sent again on change).
    @discardableResult
    public func sendMIDI(_ messages: [[UInt8]]) -> Int {
        var queued = 0
        for m in messages where (1...3).contains(m.count) {
            guard feedback.write(JACKMIDIEvent(time: 0, bytes: m)) else { break }
            queued += 1
        }
        return queued
    }

    // MARK: The audio clock (any thread)

    /// The audio clock (JACK frame time, unwrapped) of the newest captured frame that `read` or `skip`
    /// has taken; nil before the first.
    public var clockOfNewestRead: Int? {
        let taken = capture.totalRead / 2
        return taken > 0 ? counter(.captureOrigin) &+ taken - 1 : nil
    }

    /// A JACK frame time (a MIDI message's, say) on the audio clock: unwrapped next to the latest cycle.
    public func unwrap(_ frameTime: UInt32) -> Int {
        let reference = counter(.frameClock)
        return reference &+ Int(Int32(bitPattern: frameTime &- UInt32(truncatingIfNeeded: reference)))
    }

    /// The audio clock now (frames): the latest cycle's start plus the time since it ran; nil while no
    /// client runs. Reads atomics only, so it is safe during a reconnect.
    public var clockNow: Int? {
        guard counter(.clientOpen) != 0, counter(.callbacks) > 0 else { return nil }
        let since = Double(jack_get_time() &- UInt64(UInt(bitPattern: counter(.lastCallbackMicros)))) / 1e6
        return counter(.frameClock) + Int(since * Double(counter(.sampleRate)))
    }

    /// The transport at the latest cycle, with bar, beat and tick; nil when no timebase master
    /// publishes them (or before the first cycle).
    public func transport() -> JACKTransport? {
        let sequence = counters + JACKCounter.transportSequence.rawValue
        for _ in 0..<100 {
            let before = sequence.pointee.load(ordering: .acquiring)
            guard before & 1 == 0 else { continue }
            let state = counter(.transportState)
            let t = JACKTransport(rolling: state == 1, bar: counter(.transportBar), beat: counter(.transportBeat), tick: counter(.transportTick),
                                  ticksPerBeat: Self.double(counter(.transportTicksPerBeat)), beatsPerBar: Self.double(counter(.transportBeatsPerBar)),
                                  bpm: Self.double(counter(.transportBPM)), cycleClock: counter(.transportCycle))
            guard sequence.pointee.load(ordering: .acquiring) == before else { continue }
            return before == 0 || state < 0 ? nil : t
        }
        return nil
    }

    private static func double(_ bits: Int) -> Double { Double(bitPattern: UInt64(UInt(bitPattern: bits))) }

    // MARK: Producer side of playback (the file player thread)

    /// Frames the playback ring can take now.
    public var playbackSpaceFrames: Int { playback.availableToWrite / 2 }

    /// Frames queued for out_1/out_2 and not yet played.
    public var playbackQueuedFrames: Int { playback.count / 2 }

    /// Queues interleaved stereo frames for out_1/out_2; returns the frames that fit (the player retries
    /// the rest later). Without playback outputs the frames are accepted and never played.
    @discardableResult
    public func writePlayback(_ interleaved: UnsafePointer<Float>, frames: Int) -> Int {
        let fit = min(frames, playbackSpaceFrames)
        return playback.write(interleaved, count: 2 * fit) / 2
    }

    // MARK: Statistics

    public var stats: JACKStats {
        JACKStats(callbacks: counter(.callbacks), xruns: counter(.xruns), overflows: counter(.overflows),
                  midiDropped: counter(.midiDropped), playbackShortfall: counter(.playbackShortfall),
                  sampleRate: counter(.sampleRate), bufferSize: counter(.bufferSize),
                  lastFrameTime: UInt32(truncatingIfNeeded: counter(.lastFrameTime)),
                  lastCallbackMicros: UInt64(UInt(bitPattern: counter(.lastCallbackMicros))))
    }

    /// The thread that ran the latest client's first callback (`pthread_t` as an integer), 0 before it.
    public var processThread: UInt { UInt(bitPattern: counter(.processThread)) }

    /// JACK's clock now, in microseconds (the clock of `stats.lastCallbackMicros`), while a client is
    /// open. Safe from the frame producer during a reconnect: it reads an atomic, not the client.
    public var microsecondsNow: UInt64? { counter(.clientOpen) != 0 ? jack_get_time() : nil }

    // MARK: Private

    private func open() throws {
        var status = jack_status_t(rawValue: 0)
        let opened: OpaquePointer? = options.clientName.withCString { name in
            guard let server = options.serverName else {
                return lvj_jack_client_open_server(name, JackNoStartServer, &status, nil)
            }
            return server.withCString { lvj_jack_client_open_server(name, JackNoStartServer, &status, $0) }
        }
        guard let client = opened else {
            throw JACKError.fromOpenStatus(status, client: options.clientName, serverName: options.serverName)
        }
        clientName = String(cString: jack_get_client_name(client))
        do {
            let c = context
            c.pointee.in1 = try register(client, "in_1", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput)
            c.pointee.in2 = try register(client, "in_2", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput)
            c.pointee.midiIn = try register(client, "midi_in", JACK_DEFAULT_MIDI_TYPE, JackPortIsInput)
            c.pointee.midiOut = try register(client, "midi_out", JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput)
            if options.playbackOutputs {
                c.pointee.out1 = try register(client, "out_1", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput)
                c.pointee.out2 = try register(client, "out_2", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput)
            }
        } catch {
            jack_client_close(client)
            throw error
        }
        let arg = UnsafeMutableRawPointer(context)
        jack_set_process_callback(client, jackProcess, arg)
        jack_set_xrun_callback(client, jackXrun, arg)
        jack_set_sample_rate_callback(client, jackSampleRateChanged, arg)
        jack_set_buffer_size_callback(client, jackBufferSizeChanged, arg)
        jack_on_info_shutdown(client, jackShutDown, arg)
        let c = context.pointee
        c.set(.sampleRate, Int(jack_get_sample_rate(client)))
        c.set(.bufferSize, Int(jack_get_buffer_size(client)))
        c.set(.processThread, 0)
        c.set(.shutDown, 0)
        c.set(.clockRestart, 1)
        context.pointee.client = client
        c.set(.clientOpen, 1)
    }

    private func register(_ client: OpaquePointer, _ name: String, _ type: String, _ flags: JackPortFlags) throws -> OpaquePointer {
        guard let port = jack_port_register(client, name, type, UInt(flags.rawValue), 0) else {
            throw JACKError.portRegistrationFailed(port: "\(clientName):\(name)")
        }
        return port
    }

    @discardableResult
    private func connectNow(_ pattern: String) throws -> Int {
        guard let client = context.pointee.client else { throw JACKError.notConnected }
        let ours = clientName + ":"
        let audio = outputPorts(client, matching: pattern, type: JACK_DEFAULT_AUDIO_TYPE).filter { !$0.hasPrefix(ours) }
        let midi = outputPorts(client, matching: pattern, type: JACK_DEFAULT_MIDI_TYPE).filter { !$0.hasPrefix(ours) }
        let inputs = [ours + "in_1", ours + "in_2"]
        var pairs: [(String, String)] = audio.count == 1
            ? inputs.map { (audio[0], $0) }
            : audio.enumerated().map { ($0.element, inputs[$0.offset % 2]) }
        pairs += midi.map { ($0, ours + "midi_in") }
        for (source, destination) in pairs {
            let code = jack_connect(client, source, destination)
            guard code == 0 || code == EEXIST else {
                throw JACKError.connectionFailed(source: source, destination: destination, code: code)
            }
        }
        return pairs.count
    }

    @discardableResult
    private func connectSpeakersNow() throws -> Int {
        guard let client = context.pointee.client, let out1 = context.pointee.out1, let out2 = context.pointee.out2 else { return 0 }
        let flags = UInt(JackPortIsPhysical.rawValue | JackPortIsInput.rawValue)
        guard let list = jack_get_ports(client, nil, JACK_DEFAULT_AUDIO_TYPE, flags) else { return 0 }
        defer { jack_free(list) }
        var speakers: [String] = []
        var i = 0
        while let name = list[i], speakers.count < 2 { speakers.append(String(cString: name)); i += 1 }
        let ours = [out1, out2].map { String(cString: jack_port_name($0)) }
        var made = 0
        for (index, speaker) in speakers.enumerated() {
            let code = jack_connect(client, ours[index], speaker)
            guard code == 0 || code == EEXIST else { throw JACKError.connectionFailed(source: ours[index], destination: speaker, code: code) }
            made += 1
        }
        if speakers.count == 1 { _ = jack_connect(client, ours[1], speakers[0]); made += 1 }
        return made
    }

    private func outputPorts(_ client: OpaquePointer, matching pattern: String, type: String) -> [String] {
        guard let list = jack_get_ports(client, pattern, type, UInt(JackPortIsOutput.rawValue)) else { return [] }
        defer { jack_free(list) }
        var names: [String] = []
        var i = 0
        while let name = list[i] { names.append(String(cString: name)); i += 1 }
        return names
    }
}
