import CJack
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

// The real-time side of `JACKInput`: what JACK's threads run. The process callback may not allocate,
// free, lock, block, log or touch a reference count (spec: threads table), so it is a plain C function
// that receives one raw pointer to `JACKProcessContext`, a struct holding only pointers and integers:
// reading it never retains anything, and nothing here calls back into Swift objects.

/// One MIDI message as the process callback stores it: a fixed-size record, so the MIDI ring needs no
/// allocation. Longer messages (SysEx) are not stored; they are counted in `JACKStats.midiDropped`.
public struct JACKMIDIEvent: BitwiseCopyable, Equatable, Sendable, CustomStringConvertible {
    /// JACK frame time of the message: the cycle's first frame plus the message's offset in the cycle.
    public var time: UInt32
    /// Bytes used of status, data1, data2 (1 to 3).
    public var size: UInt8
    public var status: UInt8
    public var data1: UInt8
    public var data2: UInt8

    public init(time: UInt32, bytes: [UInt8]) {
        precondition((1...3).contains(bytes.count), "a JACKMIDIEvent holds 1 to 3 bytes")
        self.time = time
        size = UInt8(bytes.count)
        status = bytes[0]
        data1 = bytes.count > 1 ? bytes[1] : 0
        data2 = bytes.count > 2 ? bytes[2] : 0
    }

    init(time: UInt32, size: UInt8, status: UInt8, data1: UInt8, data2: UInt8) {
        self.time = time; self.size = size; self.status = status; self.data1 = data1; self.data2 = data2
    }

    public var bytes: [UInt8] { Array([status, data1, data2].prefix(Int(size))) }
    public var description: String { "@\(time) " + bytes.map { String($0, radix: 16) }.joined(separator: " ") }
}

/// Counters shared between JACK's threads and the engine, one `Atomic<Int>` each.
enum JACKCounter: Int, CaseIterable {
    case callbacks, xruns, overflows, midiDropped, playbackShortfall
    case sampleRate, bufferSize, lastFrameTime, lastCallbackMicros
    /// Nonzero once the server told us it is going away.
    case shutDown
    /// pthread_self() of the process thread, recorded by the first callback (tests watch that thread).
    case processThread
    /// 1 while a client is open. The frame producer asks this, never the client pointer, which the
    /// engine thread rewrites on a reconnect.
    case clientOpen
    /// The audio clock: the latest cycle's JACK frame time, unwrapped to 64 bits (JACK's 32-bit frame
    /// time wraps after a day at 48 kHz); 1 in `clockRestart` makes the next cycle start it afresh (a
    /// new client, perhaps on a new server whose frame time began again).
    case frameClock, clockRestart
    /// The audio clock of captured frame 0: captured frame k was heard at `captureOrigin + k` (it moves
    /// only when frames are lost: a full ring, an xrun).
    case captureOrigin
    /// JACK transport at the latest cycle, as a sequence lock: odd while the callback writes the fields.
    /// State 0 stopped, 1 rolling, -1 no bar and beat published (no timebase master).
    case transportSequence, transportState, transportBar, transportBeat, transportTick
    case transportTicksPerBeat, transportBeatsPerBar, transportBPM, transportCycle
}

/// Everything the callbacks read, at a fixed address for the client's lifetime. The engine thread
/// writes the port fields only while the client is not active (JACK's activation orders those writes
/// before the first callback); everything that changes while active is an atomic counter.
struct JACKProcessContext {
    var client: OpaquePointer?
    var in1: OpaquePointer?
    var in2: OpaquePointer?
    var midiIn: OpaquePointer?
    /// Controller feedback out (LEDs, motorised faders): messages queued by the control thread.
    var midiOut: OpaquePointer?
    var out1: OpaquePointer?
    var out2: OpaquePointer?
    /// Interleaved stereo (in_1, in_2) from the process thread to the frame producer.
    var capture: SPSCRing<Float>
    var midi: SPSCRing<JACKMIDIEvent>
    var feedback: SPSCRing<JACKMIDIEvent>
    var feedbackBatch: UnsafeMutablePointer<JACKMIDIEvent>
    /// Interleaved stereo from the file player to out_1/out_2.
    var playback: SPSCRing<Float>
    var counters: UnsafeMutablePointer<Atomic<Int>>
    /// Set once at creation: capture what out_1/out_2 play instead of in_1/in_2.
    var capturesPlayback = false

    func add(_ counter: JACKCounter, _ n: Int) {
        (counters + counter.rawValue).pointee.wrappingAdd(n, ordering: .relaxed)
    }
    func set(_ counter: JACKCounter, _ value: Int) {
        (counters + counter.rawValue).pointee.store(value, ordering: .releasing)
    }
    func get(_ counter: JACKCounter) -> Int {
        (counters + counter.rawValue).pointee.load(ordering: .acquiring)
    }
}

private func context(_ arg: UnsafeMutableRawPointer?) -> UnsafeMutablePointer<JACKProcessContext>? {
    arg?.assumingMemoryBound(to: JACKProcessContext.self)
}

/// The process callback: copies, counts, returns. Nothing else.
func jackProcess(_ nframes: jack_nframes_t, _ arg: UnsafeMutableRawPointer?) -> Int32 {
    guard let c = context(arg)?.pointee else { return 0 }
    let frames = Int(nframes)
    let cycleStart = jack_last_frame_time(c.client)
    if c.get(.processThread) == 0 { c.set(.processThread, Int(bitPattern: UInt(pthread_self()))) }

    clock(c, cycleStart: cycleStart)
    transport(c)

    if !c.capturesPlayback, let left = jack_port_get_buffer(c.in1, nframes), let right = jack_port_get_buffer(c.in2, nframes) {
        capture(c, left: left, right: right, frames: frames)
    }

    if let buffer = jack_port_get_buffer(c.midiIn, nframes) {
        var event = jack_midi_event_t()
        let events = jack_midi_get_event_count(buffer)
        var index: UInt32 = 0
        while index < events {
            defer { index += 1 }
            guard jack_midi_event_get(&event, buffer, index) == 0, let bytes = event.buffer,
                  (1...3).contains(event.size) else { c.add(.midiDropped, 1); continue }
            let record = JACKMIDIEvent(time: cycleStart &+ event.time, size: UInt8(event.size), status: bytes[0],
                                       data1: event.size > 1 ? bytes[1] : 0, data2: event.size > 2 ? bytes[2] : 0)
            if !c.midi.write(record) { c.add(.midiDropped, 1) }
        }
    }

    if c.midiOut != nil, let buffer = jack_port_get_buffer(c.midiOut, nframes) {
        writeQueuedMIDI(c.feedback, batch: c.feedbackBatch, perCycle: JACKInput.feedbackPerCycle, into: buffer, frames: nframes)
    }

    if c.out1 != nil, let left = jack_port_get_buffer(c.out1, nframes), let right = jack_port_get_buffer(c.out2, nframes) {
        let l = left.assumingMemoryBound(to: Float.self), r = right.assumingMemoryBound(to: Float.self)
        let played = c.playback.readDeinterleaved(left: l, right: r, frames: frames)
        if played < frames {
            // Silence when the player is behind or stopped; only a partly filled cycle is a shortfall.
            (l + played).update(repeating: 0, count: frames - played)
            (r + played).update(repeating: 0, count: frames - played)
            if played > 0 { c.add(.playbackShortfall, frames - played) }
        }
        if c.capturesPlayback { capture(c, left: left, right: right, frames: frames) }
    }

    c.add(.callbacks, 1)
    c.set(.lastFrameTime, Int(cycleStart))
    c.set(.lastCallbackMicros, Int(truncatingIfNeeded: jack_get_time()))
    return 0
}

/// Advances the audio clock to this cycle (unwrapping JACK's 32-bit frame time).
@inline(__always)
private func clock(_ c: JACKProcessContext, cycleStart: jack_nframes_t) {
    let previous = c.get(.frameClock)
    if c.get(.clockRestart) != 0 {
        c.set(.frameClock, Int(cycleStart))
        c.set(.clockRestart, 0)
    } else {
        c.set(.frameClock, previous &+ Int(Int32(bitPattern: cycleStart &- UInt32(truncatingIfNeeded: previous))))
    }
}

/// Publishes the transport's state and, where a timebase master gives them, bar, beat and tick.
@inline(__always)
private func transport(_ c: JACKProcessContext) {
    var position = jack_position_t()
    let state = jack_transport_query(c.client, &position)
    let bbt = position.valid.rawValue & JackPositionBBT.rawValue != 0
    c.add(.transportSequence, 1)
    c.set(.transportState, bbt ? (state == JackTransportRolling ? 1 : 0) : -1)
    if bbt {
        c.set(.transportBar, Int(position.bar)); c.set(.transportBeat, Int(position.beat)); c.set(.transportTick, Int(position.tick))
        c.set(.transportTicksPerBeat, Int(bitPattern: UInt(position.ticks_per_beat.bitPattern)))
        c.set(.transportBeatsPerBar, Int(bitPattern: UInt(Double(position.beats_per_bar).bitPattern)))
        c.set(.transportBPM, Int(bitPattern: UInt(position.beats_per_minute.bitPattern)))
        c.set(.transportCycle, c.get(.frameClock))
    }
    c.add(.transportSequence, 1)
}

/// Stores one cycle of stereo in the capture ring; what does not fit is counted, never waited for.
@inline(__always)
private func capture(_ c: JACKProcessContext, left: UnsafeMutableRawPointer, right: UnsafeMutableRawPointer, frames: Int) {
    c.set(.captureOrigin, c.get(.frameClock) &- c.capture.totalWritten / 2)
    let stored = c.capture.writeInterleaved(left: left.assumingMemoryBound(to: Float.self),
                                            right: right.assumingMemoryBound(to: Float.self), frames: frames)
    if stored < frames { c.add(.overflows, 2 * (frames - stored)) }
}

func jackXrun(_ arg: UnsafeMutableRawPointer?) -> Int32 {
    context(arg)?.pointee.add(.xruns, 1)
    return 0
}

func jackSampleRateChanged(_ rate: jack_nframes_t, _ arg: UnsafeMutableRawPointer?) -> Int32 {
    context(arg)?.pointee.set(.sampleRate, Int(rate))
    return 0
}

func jackBufferSizeChanged(_ frames: jack_nframes_t, _ arg: UnsafeMutableRawPointer?) -> Int32 {
    context(arg)?.pointee.set(.bufferSize, Int(frames))
    return 0
}

/// Runs on a JACK thread when the server stops or throws us out. Only a flag: closing the client here
/// is forbidden by JACK; the engine notices `isConnected == false` and calls `reconnect()`.
func jackShutDown(_ code: jack_status_t, _ reason: UnsafePointer<CChar>?, _ arg: UnsafeMutableRawPointer?) {
    context(arg)?.pointee.set(.shutDown, 1)
}
