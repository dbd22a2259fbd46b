import AudioIn
import Basics
import Foundation

extension Engine {
    /// The JACK inputs, a file through JACK when a server runs, or a file on the internal clock. What was
    /// chosen, and why a fallback happened, goes into `notices`.
    static func openAudio(_ audio: EngineConfiguration.Audio, notices: inout [EngineEvent]) throws -> AudioSource {
        switch audio {
        case .jackInputs(let connect):
            do { return try JACKSource(connect: connect) } catch { throw UsageError("\(error)") }
        case .file(let path, let loops, let throughJACK, let connect):
            let loader: JACKSource.FileLoader = { rate in
                guard let path else { return DemoTrack.render(sampleRate: rate) }
                return try AudioFile.read(path: path, sampleRate: rate)
            }
            let serverRuns = throughJACK && JACKServer.isRunning()
            if let problem = JACKServer.lastProblem { notices.append(.notice("JACK: \(problem) Playing on the internal clock.")) }
            if serverRuns {
                do {
                    let source = try JACKSource(connect: connect, playing: loader, loops: loops)
                    notices.append(.notice("playing through JACK (\(source.input.clientName):out_1/out_2) at \(Int(source.sampleRate)) Hz"))
                    return source
                } catch let error as FileError { throw error } catch {
                    notices.append(.notice("JACK is running but cannot be used (\(error)); playing on the internal clock"))
                }
            }
            let clip = try path.map { try AudioFile.read(path: $0) } ?? DemoTrack.render()
            return FilePlayback(clip: clip, loops: loops)
        }
    }
}
