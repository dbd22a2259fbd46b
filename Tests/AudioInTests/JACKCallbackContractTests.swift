import AllocationCounter
import AudioIn
import CJack
import Foundation
import Synchronization
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The real-time contract of the JACK process callback (spec: threads table): over thousands of
/// callbacks with every path busy (audio in, MIDI in, playback out), the process thread makes no heap
/// allocation, no free, no lock or wait call and no output call (logging).
///
/// How it is counted: the AllocationCounter interposer (linked into this test binary) counts malloc &
/// co., free, the pthread/semaphore lock and wait calls and the stdio/write output calls of every thread into a table keyed by
/// pthread_t. The callback itself does nothing for the test except what it always does: record
/// pthread_self() once, so the test knows which row is the process thread's. Counting is switched on
/// after a warm-up (thread start-up may allocate; that is not the callback's doing).
extension JACKClientTests {
    func testProcessThreadNeitherAllocatesNorLocks() throws {
        try XCTSkipIf(lvj_counting_available() == 0, "a ThreadSanitizer build counts nothing (the interposer is left out)")
        let input = try open(outputs: true)
        try input.activate()
        try server.startClient("jack_metro", ["-n", "lvjmetro", "-b", "240"])
        try server.startClient("jack_midiseq", ["lvjseq", "4800", "0", "60", "2400"])  // ten notes a second
        waitForPort("lvjmetro:240_bpm")
        waitForPort("lvjseq:out")
        XCTAssertEqual(try input.connect(pattern: "lvjmetro:|lvjseq:"), 3)

        // A file player keeps the playback ring topped up, as the engine's player thread would.
        let stopPlaying = playSine(into: input, step: 0.1)
        defer { stopPlaying() }

        XCTAssertTrue(waitUntil(timeout: 60) { input.stats.callbacks > 100 }, "no warm-up: the callback does not run")
        let processThread = input.processThread
        XCTAssertNotEqual(processThread, 0)

        // The frame producer's side: drain audio and MIDI into preallocated buffers.
        var audio = [Float](repeating: 0, count: 2 * 4096)
        let midi = UnsafeMutablePointer<JACKMIDIEvent>.allocate(capacity: 256)
        defer { midi.deallocate() }
        var loudest: Float = 0, notes = 0
        let before = input.stats
        lvj_count_threads_begin()
        // Watched for 1875 callbacks (10 s of the server's clock), however long this machine takes for them.
        let watchUntil = Date().addingTimeInterval(TestDeadline.seconds(120))
        while input.stats.callbacks - before.callbacks < 1875 && Date() < watchUntil {
            let frames = input.read(into: &audio, maxFrames: 4096)
            for i in 0..<2 * frames { loudest = max(loudest, abs(audio[i])) }
            let events = input.readMIDI(into: midi, maxEvents: 256)
            for i in 0..<events where midi[i].status & 0xF0 == 0x90 { notes += 1 }
            usleep(5_000)                          // the frame producer's pace, roughly: a poll, not a wait
        }
        // The counter is live: what this thread does now is seen. (The block escapes through a pointer
        // so the optimiser cannot delete the malloc/free pair.)
        let escape = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: 1)
        escape.pointee = malloc(16)
        free(escape.pointee)
        escape.deallocate()
        var mutex = pthread_mutex_t()
        pthread_mutex_init(&mutex, nil)
        pthread_mutex_lock(&mutex); pthread_mutex_unlock(&mutex)
        fflush(stdout)
        lvj_count_threads_end()
        pthread_mutex_destroy(&mutex)
        let after = input.stats

        let counts = lvj_thread_counts_of(processThread)
        let mine = lvj_thread_counts_of(lvj_current_thread())
        XCTAssertGreaterThanOrEqual(mine.allocations, 1, "the interposer is not counting")
        XCTAssertGreaterThanOrEqual(mine.frees, 1, "the interposer is not counting frees")
        XCTAssertGreaterThanOrEqual(mine.locks, 1, "the interposer is not counting locks")
        XCTAssertGreaterThanOrEqual(mine.outputs, 1, "the interposer is not counting output calls")
        XCTAssertEqual(lvj_count_threads_untracked(), 0)

        let callbacks = after.callbacks - before.callbacks
        XCTAssertGreaterThanOrEqual(callbacks, 1875, "watched for 10 s of the server's clock (48 kHz / 256)")
        XCTAssertEqual(input.processThread, processThread, "the callback moved to another thread")
        XCTAssertEqual(counts.allocations, 0, "the process thread allocated during \(callbacks) callbacks")
        XCTAssertEqual(counts.frees, 0, "the process thread freed memory during \(callbacks) callbacks")
        XCTAssertEqual(counts.locks, 0, "the process thread locked or waited during \(callbacks) callbacks")
        XCTAssertEqual(counts.outputs, 0, "the process thread wrote output (logged?) during \(callbacks) callbacks")
        // Every path was busy: signal in, notes in, playback out (its ring drained, so it was read).
        XCTAssertGreaterThan(loudest, 0.1)
        XCTAssertGreaterThan(notes, 50)
        XCTAssertEqual(after.overflows, 0)
        print("JACK process thread over \(callbacks) callbacks: \(counts.allocations) allocations, \(counts.frees) frees, \(counts.locks) lock calls, \(counts.outputs) output calls; xruns \(after.xruns - before.xruns)")
    }

    /// The same contract when a file plays through out_1/out_2 and the capture ring takes what those ports
    /// play (the engine's `--audio` path under JACK): the second capture path of the callback.
    func testProcessThreadStaysCleanWhileAnalysingPlayback() throws {
        try XCTSkipIf(lvj_counting_available() == 0, "a ThreadSanitizer build counts nothing (the interposer is left out)")
        var options = JACKInput.Options()
        options.serverName = server.name
        options.playbackOutputs = true
        options.analysePlayback = true
        let input = try JACKInput(options: options)
        defer { input.close() }
        try input.activate()
        let stopPlaying = playSine(into: input, step: 0.05)
        defer { stopPlaying() }
        XCTAssertTrue(waitUntil(timeout: 60) { input.stats.callbacks > 100 }, "no warm-up: the callback does not run")
        let processThread = input.processThread
        var audio = [Float](repeating: 0, count: 2 * 4096)
        var loudest: Float = 0
        let before = input.stats
        lvj_count_threads_begin()
        // Watched for 937 callbacks (5 s of the server's clock), however long this machine takes for them.
        let watchUntil = Date().addingTimeInterval(TestDeadline.seconds(120))
        while input.stats.callbacks - before.callbacks < 937 && Date() < watchUntil {
            let frames = input.read(into: &audio, maxFrames: 4096)
            for i in 0..<2 * frames { loudest = max(loudest, abs(audio[i])) }
            usleep(5_000)                          // a poll, not a wait
        }
        lvj_count_threads_end()
        let counts = lvj_thread_counts_of(processThread)
        let callbacks = input.stats.callbacks - before.callbacks
        XCTAssertGreaterThanOrEqual(callbacks, 937, "watched for 5 s of the server's clock (48 kHz / 256)")
        XCTAssertEqual(counts.allocations, 0, "allocations during \(callbacks) callbacks")
        XCTAssertEqual(counts.frees, 0)
        XCTAssertEqual(counts.locks, 0)
        XCTAssertEqual(counts.outputs, 0)
        XCTAssertGreaterThan(loudest, 0.9, "the capture ring carried what out_1/out_2 played")
    }

    /// A player thread keeping `input`'s playback ring topped up with a sine (phase `step` per frame), as
    /// the engine's file player does; the returned function stops it and waits for the thread to end.
    func playSine(into input: JACKInput, step: Double) -> () -> Void {
        let playing = Atomic<Bool>(true)
        let stopped = DispatchSemaphore(value: 0)
        Thread {
            var chunk = [Float](repeating: 0, count: 2 * 1024)
            var n = 0
            while playing.load(ordering: .relaxed) {
                let frames = min(1024, input.playbackSpaceFrames)
                for i in 0..<frames { chunk[2 * i] = Float(sin(Double(n + i) * step)); chunk[2 * i + 1] = chunk[2 * i] }
                n += input.writePlayback(chunk, frames: frames)
                usleep(5_000)
            }
            stopped.signal()
        }.start()
        return { playing.store(false, ordering: .relaxed); stopped.wait() }
    }

    /// The same measurement catches a callback that breaks the contract: a bare JACK client whose process
    /// callback mallocs, frees and locks a mutex is counted on JACK's process thread (the thread
    /// `jack_client_thread_id` names, and the one pthread_self() inside the callback returns).
    func testTheCountCatchesACallbackThatAllocatesAndLocks() throws {
        try XCTSkipIf(lvj_counting_available() == 0, "a ThreadSanitizer build counts nothing (the interposer is left out)")
        var status = jack_status_t(rawValue: 0)
        let client = try XCTUnwrap(server.name.withCString { lvj_jack_client_open_server("lvjbad", JackNoStartServer, &status, $0) })
        defer { jack_client_close(client) }
        let state = UnsafeMutablePointer<MisbehavingState>.allocate(capacity: 1)
        state.initialize(to: MisbehavingState())
        pthread_mutex_init(&state.pointee.mutex, nil)
        defer { pthread_mutex_destroy(&state.pointee.mutex); state.deallocate() }
        jack_set_process_callback(client, misbehavingProcess, state)
        XCTAssertEqual(jack_activate(client), 0)
        defer { jack_deactivate(client) }
        XCTAssertTrue(waitUntil(timeout: 60) { state.pointee.thread != 0 })

        lvj_count_threads_begin()
        let start = state.pointee.callbacks
        XCTAssertTrue(waitUntil(timeout: 120) { state.pointee.callbacks - start >= 94 }, "94 callbacks (half a second of the server's clock)")
        lvj_count_threads_end()
        let thread = UInt(jack_client_thread_id(client))
        XCTAssertEqual(thread, state.pointee.thread)
        let counts = lvj_thread_counts_of(thread)
        XCTAssertGreaterThan(counts.allocations, 50, "94 callbacks or more, each allocating once")
        XCTAssertGreaterThan(counts.frees, 50)
        XCTAssertGreaterThan(counts.locks, 50)
    }
}

/// What the callbacks' machine code may call: JACK's buffer and clock accessors and its transport query
/// (lock-free in jackd2, and documented as real-time safe),
/// pthread_self, and the compiler's memory primitives. Not in the list, and so failing the test, is any
/// Swift runtime entry: swift_retain/release (reference counts), swift_allocObject, swift_once (lazy
/// globals), the runtime's futex mutex; also print, logging, and indirect calls through unknown pointers.
private let allowedCallees: Set<String> = [
    "jack_last_frame_time", "jack_port_get_buffer", "jack_midi_get_event_count", "jack_midi_event_get",
    "jack_get_time", "jack_transport_query", "jack_midi_clear_buffer", "jack_midi_event_write", "pthread_self", "memset", "memcpy", "memmove", "__stack_chk_fail",
]

/// The real-time callbacks, by their mangled names' distinctive parts (module AudioIn).
private let callbackSymbols = ["11jackProcess", "8jackXrun", "21jackSampleRateChanged", "21jackBufferSizeChanged", "12jackShutDown"]

extension JACKClientTests {
    /// The counts above cover what the callbacks did in one run; this covers every path they could take,
    /// including reference counting, which no interposer can see: it reads the callbacks' machine code in
    /// this very test binary and follows every call, through AudioIn's own functions, to the external
    /// functions it reaches. Release builds only (a debug build calls the runtime for generics freely).
    func testCallbacksMachineCodeCallsOnlyJACKAndMemoryPrimitives() throws {
        #if DEBUG
        throw XCTSkip("the callbacks' machine code is checked in release builds (swift test -c release)")
        #else
        let objdump = try XCTUnwrap(JACKTestServer.which("objdump"), "objdump (package binutils) is needed to read the callbacks' machine code")
        let nm = try XCTUnwrap(JACKTestServer.which("nm"), "nm (package binutils) is needed to find the callbacks")
        let binary = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")

        let symbols = try output(nm, ["--defined-only", binary]).split(separator: "\n").compactMap { line -> String? in
            let fields = line.split(separator: " ")
            guard fields.count == 3, fields[1].lowercased() == "t" else { return nil }
            return String(fields[2])
        }
        var pending = symbols.filter { name in callbackSymbols.contains { name.hasPrefix("$s7AudioIn\($0)") } }
        XCTAssertGreaterThanOrEqual(pending.count, callbackSymbols.count, "callbacks not found in \(binary)")

        var visited: Set<String> = [], external: Set<String> = [], indirect: [String] = []
        let call = try Regex(#"\s(call|jmp)\s+(\S+)(?:\s+<([^>]+)>)?"#)
        while let function = pending.popLast() {
            guard visited.insert(function).inserted else { continue }
            for line in try output(objdump, ["-d", "--no-show-raw-insn", "--disassemble=\(function)", binary]).split(separator: "\n") {
                guard let match = try call.firstMatch(in: String(line)) else { continue }
                guard let target = match.output[3].substring.map(String.init) else {
                    if match.output[2].substring?.hasPrefix("*") == true { indirect.append("\(function): \(line)") }
                    continue
                }
                if target.hasSuffix("@plt") { external.insert(String(target.dropLast(4))) }
                else if !target.contains("+0x") { pending.append(target) }  // another local function (a jump inside one has an offset)
            }
        }
        XCTAssertGreaterThan(visited.count, callbackSymbols.count, "no functions were followed")
        XCTAssertTrue(external.contains("jack_port_get_buffer"), "the disassembly was not read: \(external)")
        XCTAssertEqual(external.subtracting(allowedCallees).sorted(), [], "the real-time callbacks call forbidden functions")
        XCTAssertEqual(indirect, [], "the real-time callbacks call through unknown pointers")
        #endif
    }

    private func output(_ tool: String, _ arguments: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = arguments
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}

private struct MisbehavingState {
    var mutex = pthread_mutex_t()
    var thread: UInt = 0
    var callbacks = 0
    var block: UnsafeMutableRawPointer?
}

/// Breaks every rule on purpose.
private func misbehavingProcess(_ frames: jack_nframes_t, _ arg: UnsafeMutableRawPointer?) -> Int32 {
    let state = arg!.assumingMemoryBound(to: MisbehavingState.self)
    state.pointee.thread = UInt(pthread_self())
    state.pointee.callbacks += 1
    pthread_mutex_lock(&state.pointee.mutex)
    pthread_mutex_unlock(&state.pointee.mutex)
    state.pointee.block = malloc(64)  // stored, so the optimiser cannot delete the pair
    free(state.pointee.block)
    return 0
}
