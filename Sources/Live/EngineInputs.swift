import Basics
import Control
import Foundation
import OSCQuery

extension Engine {
    /// The OSC server: the port asked for, or (when none was asked for and 9000 is taken by another
    /// engine or app) a free one, so the show still starts.
    static func openOSC(_ options: EngineConfiguration.OSC?, store: ParameterStore, notices: inout [EngineEvent]) throws -> OSCServer? {
        guard let options else { return nil }
        let filter = try options.filter()
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

    /// OSCQuery and OSC advertised over mDNS; where no avahi daemon runs, the event says so and the
    /// show goes on.
    static func advertise(oscQuery: OSCQueryServer?, osc: OSCServer?, enabled: Bool, notices: inout [EngineEvent]) -> MDNSAdvertiser? {
        guard enabled, let oscQuery, let osc else { return nil }
        let services = [MDNSAdvertiser.Service(type: "_oscjson._tcp", port: oscQuery.port), MDNSAdvertiser.Service(type: "_osc._udp", port: osc.port)]
        do {
            let a = try MDNSAdvertiser(name: MDNSAdvertiser.defaultName(oscQueryPort: oscQuery.port), services: services)
            notices.append(.mdnsAdvertised(name: a.name, services: services.map { "\($0.type) \($0.port)" }))
            return a
        } catch {
            notices.append(.mdnsUnavailable(reason: "\(error)"))
            return nil
        }
    }

    /// The OSCQuery server describing the OSC server's address space. One that cannot listen says why
    /// and the show goes on without it.
    static func openOSCQuery(_ configuration: EngineConfiguration, osc: OSCServer?, store: ParameterStore, presets: PresetLibrary,
                             preview: EnginePreview?, notices: inout [EngineEvent]) throws -> OSCQueryServer? {
        guard configuration.oscQuery, let osc, let options = configuration.osc else { return nil }
        let namespace = OSCQueryNamespace(registry: store.registry, commands: osc.commandTable, oscPort: osc.port,
                                          presetNames: { presets.names }) { [store] in store.value($0) }
        do {
            let web = WebSurface(osc: osc, preview: preview, token: configuration.webToken)
            let server = try OSCQueryServer(port: configuration.oscQueryPort, namespace: namespace, filter: try options.filter(), web: web)
            if configuration.oscQueryPort == nil && server.port != OSCQueryServer.defaultPort {
                notices.append(.notice("OSCQuery: port \(OSCQueryServer.defaultPort) is in use; using \(server.port) instead (choose one with --oscquery-port)"))
            }
            notices.append(.notice("OSCQuery: http://<this machine>:\(server.port)/ describes the OSC address space (ossia score, Chataigne, VDMX)"))
            notices.append(.notice("web surface: open http://<this machine>:\(server.port)/\(configuration.webToken == nil ? "" : "?token=…") in a phone's or tablet's browser"))
            return server
        } catch {
            notices.append(.notice("OSCQuery: \(error); going on without it"))
            return nil
        }
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
