import Basics
import Control
import Foundation

extension Engine {
    /// The OSC server: the port asked for, or (when none was asked for and 9000 is taken by another
    /// engine or app) a free one, so the show still starts.
    static func openOSC(_ options: EngineConfiguration.OSC?, store: ParameterStore, notices: inout [EngineEvent]) throws -> OSCServer? {
        guard let options else { return nil }
        let filter: NetworkFilter
        do { filter = options.allow.isEmpty ? .privateNetworks : try NetworkFilter(cidrs: options.allow) } catch { throw UsageError("--osc-allow: \(error)") }
        let server: OSCServer
        do {
            server = try OSCServer(port: options.port ?? 9000, store: store, filter: filter)
        } catch where options.port == nil {
            server = try OSCServer(port: 0, store: store, filter: filter)
            notices.append(.notice("OSC: port 9000 is in use; using \(server.port) instead (choose one with --osc-port)"))
        }
        notices.append(.notice("OSC: listening on UDP port \(server.port) (allowed: \(filter)); send /lvj/list for the namespace"))
        return server
    }

    /// MIDI from JACK's midi_in (when the engine is a JACK client) and, if asked, the ALSA sequencer; one
    /// mapping router for both. A broken mapping file is an error at start (file, line, field).
    static func openMIDI(_ configuration: EngineConfiguration, store: ParameterStore, source: AudioSource,
                         tempo: TempoControl, notices: inout [EngineEvent]) throws -> MIDIControl {
        let paths = configuration.mappings.isEmpty ? [try ShippedFiles.locate("Mappings/nanokontrol2.yaml")] : configuration.mappings
        let midi = try MIDIControl(store: store, mappingPaths: paths)
        midi.tempo = tempo
        midi.clockNow = { [weak source] in source.flatMap { s in s.clockNow.map { Double($0) / s.sampleRate } } }
        var inputs: [String] = []
        if let jack = source as? JACKSource {
            midi.add { jack.input.readMIDI().map { ($0.bytes, Double(jack.input.unwrap($0.time)) / jack.sampleRate) } }
            midi.feedbackOut = { jack.input.sendMIDI($0) }
            inputs.append("JACK \(jack.input.clientName):midi_in")
        }
        if configuration.alsaMidi {
            do {
                let alsa = try ALSASequencer()
                midi.add { alsa.read().map { ($0, nil) } }
                inputs.append("ALSA sequencer port \(alsa.port)")
            } catch {
                notices.append(.notice("\(error)"))
            }
        }
        notices.append(.notice("MIDI: \(inputs.isEmpty ? "no input (start JACK, or --alsa-midi)" : inputs.joined(separator: ", ")); mapping \(midi.mappingName) (\(midi.entryCount) controls; learn saves to \((paths[0] as NSString).lastPathComponent))"))
        midi.start()
        return midi
    }
}
