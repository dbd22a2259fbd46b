import AudioIn
import Control
import Foundation
import Live
import Synthesis
import Tempo
import TestSupport
import XCTest

/// The engine's beat from the booth's real peers: a JACK timebase master (the transport's bar, beat and
/// tick), Debian's `jack_midi_clock` turning that transport into MIDI clock on `latentvj:midi_in`, and
/// taps sent over OSC. Each is checked against the truth the peer itself publishes, and quantized
/// changes are checked in the performance log.
final class TempoEngineTests: JACKServerTestCase {
    /// The engine's side: the JACK source, a producer on it, and the control thread taking midi_in with
    /// JACK's times, as `latentvj live --jack` wires them.
    func engine(source tempo: TempoSource) throws -> (JACKSource, FrameProducer, MIDIControl) {
        let source = try JACKSource(connect: nil, playing: nil, serverName: server.name)
        let producer = try FrameProducerTests.producer(source)
        producer.parameters.set("tempo.source", Double(TempoSource.allCases.firstIndex(of: tempo)!))
        let midi = try MIDIControl(store: producer.parameters, mappingPath: nil)
        midi.tempo = producer.tempo
        midi.clockNow = { source.clockNow.map { Double($0) / source.sampleRate } }
        midi.add { source.input.readMIDI().map { ($0.bytes, Double(source.input.unwrap($0.time)) / source.sampleRate) } }
        midi.start()
        return (source, producer, midi)
    }

    /// Runs the producer (on this thread, at the audio's pace) until `condition` holds for its tempo.
    func run(_ producer: FrameProducer, timeout: Double = 60, until condition: (TempoStatus) -> Bool) -> Bool {
        waitUntil(timeout: timeout) {
            producer.produceFrame()
            return condition(producer.tempo.status)
        }
    }

    /// The transport's beat at the time the engine's beat is for: the truth the timebase master publishes.
    func transportBeat(_ source: JACKSource, at seconds: Double) -> Double? { source.transport?.reading(at: seconds)?.beat }

    func testMIDIClockFromJackMidiClockFollowsTempoAndPhaseThroughTempoChanges() throws {
        let master = try JACKTimebaseMaster(name: "lvjmaster", serverName: server.name, bpm: 100)
        let (source, producer, midi) = try engine(source: .midiClock)
        defer { midi.stop() }
        // jack_midi_clock follows the transport's tempo map and connects itself to our MIDI input.
        try server.startClient("jack_midi_clock", ["-d", "0.05", "\(source.input.clientName):midi_in"])
        XCTAssertTrue(waitUntil(timeout: 30) { self.server.connections()?.contains { $0.contains("\(source.input.clientName):midi_in") && $0.hasPrefix(" ") } ?? false },
                      "jack_midi_clock never connected: \(server.connections() ?? [])")
        master.start()
        for bpm in [100.0, 140, 75] {
            master.bpm = bpm
            XCTAssertTrue(run(producer) { $0.source == .midiClock && !$0.fallback && $0.running && abs($0.bpm - bpm) < 0.3 },
                          "never followed \(bpm) BPM: \(producer.tempo.status)")
            // A few more beats at this tempo, then the phase: the clock's beat against the transport's.
            let settled = producer.tempo.status.beat + 2
            XCTAssertTrue(run(producer) { $0.beat > settled })
            let status = producer.tempo.status
            let truth = try XCTUnwrap(transportBeat(source, at: status.seconds), "the master publishes no position")
            XCTAssertEqual(status.beat, truth, accuracy: 0.04, "at \(bpm) BPM the MIDI clock's beat is off the transport's (\(status))")
            XCTAssertEqual(status.bpm, bpm, accuracy: 0.3)
            print("MIDI clock at \(bpm) BPM: \(String(format: "%.3f", status.bpm)) BPM, beat \(String(format: "%.4f", status.beat)) against the transport's \(String(format: "%.4f", truth)) (lookahead \(String(format: "%.1f", status.lookaheadMs)) ms)")
        }
        XCTAssertGreaterThan(producer.tempo.clockMessages, 24 * 6, "clock messages reached the tracker")
        XCTAssertEqual(midi.garbageCount, 0, "real-time messages are not garbage")

        // Stop: the beat holds still; the HUD says the transport stands.
        master.stop()
        XCTAssertTrue(run(producer) { !$0.running }, "stop was not followed: \(producer.tempo.status)")
        let held = producer.tempo.status.beat
        XCTAssertTrue(producer.advance(rows: 12))
        XCTAssertEqual(producer.tempo.status.beat, held, accuracy: 1e-9, "the beat moved while stopped")
    }

    func testAQuantizedPresetLandsOnTheBarOfTheMIDIClock() throws {
        let master = try JACKTimebaseMaster(name: "lvjmaster", serverName: server.name, bpm: 128)
        let (source, producer, midi) = try engine(source: .midiClock)
        defer { midi.stop() }
        try server.startClient("jack_midi_clock", ["-d", "0.05", "\(source.input.clientName):midi_in"])
        XCTAssertTrue(waitUntil(timeout: 30) { self.server.connections()?.contains { $0.contains("\(source.input.clientName):midi_in") && $0.hasPrefix(" ") } ?? false })
        master.start()
        XCTAssertTrue(run(producer) { !$0.fallback && abs($0.bpm - 128) < 0.3 }, "\(producer.tempo.status)")
        let log = try attachLog(producer)
        let store = producer.parameters
        store.set("control.quantize", Double(Quantize.allCases.firstIndex(of: .bar)!))
        // Recalled just after a downbeat, so that it must wait most of a bar.
        XCTAssertTrue(run(producer) { $0.beat.truncatingRemainder(dividingBy: 4) > 0.5 && $0.beat.truncatingRemainder(dividingBy: 4) < 1.5 })
        let recalledAt = producer.tempo.status.beat
        Preset(name: "drop", model: nil, envelope: nil, parameters: ["intensity": 2.5, "psi": 0.5]).apply(to: store, morph: 0, onBeat: true)
        XCTAssertTrue(run(producer) { $0.beat > recalledAt + 5 })
        producer.log(to: nil)
        log.flush()

        let (header, records) = try PerformanceLog.read(path: log.path)
        let intensity = try XCTUnwrap(header.parameters?.firstIndex(of: "intensity"))
        let changed = try XCTUnwrap(records.firstIndex { $0.parameters![intensity] == 2.5 }, "the preset never landed")
        XCTAssertGreaterThan(changed, 0)
        let before = records[changed - 1], at = records[changed]
        // The row that takes the change is the first one whose beat (read ahead by the latency) is in the
        // next bar; the beat a frame is drawn at comes from the MIDI clock, checked against the transport above.
        XCTAssertLessThan(before.beat, (before.beat / 4).rounded(.up) * 4, "sanity")
        XCTAssertGreaterThan((at.beat / 4).rounded(.down), (before.beat / 4).rounded(.down), "the change did not land on a bar line: \(before.beat) → \(at.beat)")
        let beatsPerRow = 128.0 / 60 / 24
        XCTAssertLessThan(at.beat.truncatingRemainder(dividingBy: 4), beatsPerRow + 0.02, "landed more than a frame after the bar line")
        XCTAssertGreaterThan(at.beat, recalledAt, "landed before it was asked for")
        XCTAssertLessThan(at.beat - recalledAt, 4, "waited past the next bar")
        XCTAssertTrue(records[..<changed].allSatisfy { $0.parameters![intensity] != 2.5 })
    }

    func testJACKTransportDrivesTheBeatAndStopsWithIt() throws {
        let master = try JACKTimebaseMaster(name: "lvjmaster", serverName: server.name, bpm: 128)
        let (_, producer, midi) = try engine(source: .jack)
        defer { midi.stop() }
        XCTAssertTrue(producer.advance(rows: 6))
        XCTAssertEqual(producer.tempo.status.source, .jack)
        master.start()
        XCTAssertTrue(run(producer) { !$0.fallback && $0.running && $0.bpm == 128 }, "\(producer.tempo.status)")
        // The beat advances at the transport's tempo on the audio clock.
        let a = producer.tempo.status
        XCTAssertTrue(run(producer) { $0.seconds > a.seconds + 3 })
        let b = producer.tempo.status
        XCTAssertEqual((b.beat - a.beat) / (b.seconds - a.seconds) * 60, 128, accuracy: 0.5)
        // A tempo change on the master is the engine's at once.
        master.bpm = 90
        XCTAssertTrue(run(producer) { $0.bpm == 90 }, "\(producer.tempo.status)")
        // Stop holds the beat; relocating to the start brings it back to bar 1.
        master.stop()
        XCTAssertTrue(run(producer) { !$0.running })
        master.rewind()
        XCTAssertTrue(run(producer) { $0.beat < 0.01 }, "relocation to frame 0 not followed: \(producer.tempo.status)")
        master.start()
        XCTAssertTrue(run(producer) { $0.running && $0.beat > 1 })
    }

    func testWithoutATimebaseMasterTheDetectedBeatStandsIn() throws {
        let (_, producer, midi) = try engine(source: .jack)
        defer { midi.stop() }
        XCTAssertTrue(producer.advance(rows: 24))
        let status = producer.tempo.status
        XCTAssertEqual(status.source, .jack)
        XCTAssertTrue(status.fallback, "no master publishes bar and beat: the HUD must say the detected beat stands in")
    }

    func testTapsOverOSCSetTheTempoAndThePhase() throws {
        let (_, producer, midi) = try engine(source: .tap)
        defer { midi.stop() }
        let osc = try OSCServer(port: 0, store: producer.parameters, filter: .privateNetworks)
        defer { osc.stop() }
        let client = try OSCClient(host: "127.0.0.1", port: osc.port)
        XCTAssertTrue(producer.advance(rows: 6))
        XCTAssertTrue(producer.tempo.status.fallback, "no taps yet")
        // Eight taps at 120 BPM: the rhythm is the stimulus (each sent at its due time on this clock).
        let start = Date()
        for k in 0..<8 {
            let due = start.addingTimeInterval(0.5 * Double(k))
            while Date() < due { producer.produceFrame(); usleep(2_000) }
            XCTAssertTrue(client.send("/lvj/tempo/tap", [.number(1)]))
        }
        XCTAssertTrue(run(producer) { !$0.fallback && $0.bpm > 0 }, "\(producer.tempo.status)")
        let status = producer.tempo.status
        XCTAssertEqual(status.source, .tap)
        XCTAssertEqual(status.bpm, 120, accuracy: 3, "eight taps half a second apart")
        XCTAssertTrue(status.running)
    }

    /// "Smoothed": the clock's own intervals, recorded by a second JACK MIDI receiver, jitter by several
    /// per cent; the tempo the engine follows moves far less.
    func testSmoothedThroughAJitteryClock() throws {
        let master = try JACKTimebaseMaster(name: "lvjmaster", serverName: server.name, bpm: 90)
        let (source, producer, midi) = try engine(source: .midiClock)
        defer { midi.stop() }
        var options = JACKInput.Options()
        options.clientName = "lvjrecv"; options.serverName = server.name
        let receiver = try JACKInput(options: options)
        try receiver.activate()
        // 10 % jitter on every clock, at a tempo forced on the sender (the master only rolls the transport).
        try server.startClient("jack_midi_clock", ["-b", "123", "-B", "-J", "10", "\(source.input.clientName):midi_in", "\(receiver.clientName):midi_in"])
        master.start()
        XCTAssertTrue(run(producer) { !$0.fallback && $0.running && $0.beat > 2 }, "\(producer.tempo.status)")
        _ = receiver.readMIDI()
        var readings: [Double] = []
        let until = producer.tempo.status.beat + 4
        XCTAssertTrue(run(producer) { readings.append($0.bpm); return $0.beat > until })
        let clocks = receiver.readMIDI().filter { $0.status == 0xF8 }.map { Double($0.time) / 48_000 }
        let raw = zip(clocks.dropFirst(), clocks).map { 60 / (24 * ($0 - $1)) }
        XCTAssertGreaterThan(raw.count, 48)
        func spread(_ v: [Double]) -> Double { (v.max()! - v.min()!) / (v.reduce(0, +) / Double(v.count)) }
        // The relative standard deviation: one clock a loaded machine delays further moves it little,
        // where it would set the whole max−min spread.
        func deviation(_ v: [Double]) -> Double {
            let mean = v.reduce(0, +) / Double(v.count)
            return (v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(v.count)).squareRoot() / mean
        }
        print(String(format: "jittery clock at 123 BPM: the clock's own intervals spread %.1f %% (deviation %.2f %%), the followed tempo %.2f %% (deviation %.3f %%), mean %.2f BPM",
                     100 * spread(raw), 100 * deviation(raw), 100 * spread(readings), 100 * deviation(readings), readings.reduce(0, +) / Double(readings.count)))
        XCTAssertGreaterThan(spread(raw), 0.05, "the sender did not jitter")
        XCTAssertLessThan(deviation(readings), deviation(raw) / 3, "the tempo follows single late clocks (unsmoothed, the two are alike)")
        XCTAssertEqual(readings.reduce(0, +) / Double(readings.count), raw.reduce(0, +) / Double(raw.count), accuracy: 1.5,
                       "the followed tempo is the clock's mean tempo")
    }

    /// Detect: boundaries fall on the audio's own beat. The demo track's beats are known (every 0.5 s);
    /// a quantized preset recalled mid-beat lands on the row whose time, read ahead by the lookahead, is
    /// the next beat.
    func testAQuantizedPresetLandsOnTheDemoTracksBeat() throws {
        server.stop()
        let source = FrameProducerTests.BlockSource(seconds: 16, block: 1838)
        let producer = try FrameProducerTests.producer(source)
        let store = producer.parameters
        store.set("control.quantize", Double(Quantize.allCases.firstIndex(of: .beat)!))
        XCTAssertTrue(producer.advance(rows: 24 * 10), "ten seconds of the groove for the pulse tracker")
        for attempt in 0..<8 {
            // Mid-beat on the track's own clock.
            XCTAssertTrue(waitUntil(timeout: 60) { producer.produceFrame(); let t = source.seconds; return (t / 0.5 - (t / 0.5).rounded(.down)) > 0.4 })
            let value = 1.2 + 0.2 * Double(attempt)
            Preset(name: "p", parameters: ["intensity": value]).apply(to: store, morph: 0, onBeat: true)
            let asked = source.seconds
            XCTAssertTrue(waitUntil(timeout: 60) { producer.produceFrame(); return producer.currentValue("intensity") == value })
            let landed = producer.tempo.status.seconds          // the landing row's time plus the lookahead
            let beat = (landed / DemoTrack.beatSeconds).rounded() * DemoTrack.beatSeconds
            print("detected \(String(format: "%.2f", producer.tempo.status.bpm)) BPM; quantized to the demo's beat: asked at \(String(format: "%.3f", asked)) s, landed for \(String(format: "%.3f", landed)) s; true beat \(beat) s")
            // Within a frame of the detected beat by construction (the row that crosses it); the detected beat
            // itself is the pulse tracker's, which runs 35–80 ms early on this track, because the
            // onset envelope's beat-rate component itself peaks 56 ms before the beat here (on clicks it is
            // about 10 ms late): a fifth of a beat bounds both.
            XCTAssertEqual(landed, beat, accuracy: 0.1, "not on the track's beat")
            XCTAssertGreaterThan(landed, asked, "landed before it was asked for")
        }
    }

    /// A palette change made while changes are quantized waits for the boundary row; one made while
    /// they are not is swapped in at the next frame. The beat here is tapped, on the track's clock.
    func testAQuantizedPaletteChangeWaitsForTheBeat() throws {
        server.stop()
        let source = FrameProducerTests.BlockSource(seconds: 20, block: 1838)
        let producer = try FrameProducerTests.producer(source)
        let store = producer.parameters
        store.set("tempo.source", Double(TempoSource.allCases.firstIndex(of: .tap)!))
        for k in 0..<8 { producer.tempo.tap(at: 20 + 0.6 * Double(k)) }     // 100 BPM, beat 7 at 24.2 s
        XCTAssertTrue(producer.advance(rows: 24 * 5))
        XCTAssertEqual(producer.tempo.status.bpm, 100, accuracy: 1e-6)
        let latents = [Float](repeating: 0.1, count: producer.paletteSize * FrameProducerTests.generator.architecture.wDim)
        // Not quantized: the next frame has it.
        producer.change(palette: .init(group: 0, latents: latents, seed: 4242))
        producer.produceFrame()
        XCTAssertEqual(producer.paletteSeeds[0], 4242)
        store.set("control.quantize", Double(Quantize.allCases.firstIndex(of: .bar)!))
        XCTAssertTrue(producer.advance(rows: 2))
        // Quantized to the bar: asked a quarter into a bar, it waits three beats and some.
        XCTAssertTrue(waitUntil(timeout: 60) { producer.produceFrame(); let b = producer.tempo.status.beat.truncatingRemainder(dividingBy: 4); return b > 0.25 && b < 1 })
        let asked = producer.tempo.status.beat
        producer.change(palette: .init(group: 0, latents: latents, seed: 777, onBeat: true))
        XCTAssertTrue(waitUntil(timeout: 60) { producer.produceFrame(); return producer.paletteSeeds[0] == 777 })
        let landed = producer.tempo.status.beat
        XCTAssertEqual((landed / 4).rounded(.down), (asked / 4).rounded(.down) + 1, "not the next bar (asked at \(asked), landed at \(landed))")
        XCTAssertLessThan(landed.truncatingRemainder(dividingBy: 4), 100.0 / 60 / 24 + 1e-6, "more than a frame after the bar line")
    }

    func attachLog(_ producer: FrameProducer) throws -> PerformanceLog {
        let setup = DecoderSetup()
        let decoder = try setup.makeDecoder(generator: FrameProducerTests.generator, fps: 24)
        let log = try PerformanceLog(path: "\(folder!)/set.jsonl",
                                     header: .init(decoder: decoder, setup: setup, fps: 24, sampleRate: 48_000, audio: nil, model: "m",
                                                   centreSeconds: 8, parameters: producer.parameters.registry.parameters.map(\.name)))
        producer.log(to: log)
        return log
    }
}
