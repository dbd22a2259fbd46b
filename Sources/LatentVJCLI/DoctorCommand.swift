import ArgumentParser
import AudioIn
import Basics
import Control
import Display
import Features
import Foundation
import Imaging
import LinearAlgebra

struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check this machine: libraries, audio server, MIDI, ffmpeg, display.")

    func run() throws {
        print("libraries:")
        print("  JACK      \(JACKServer.libraryVersion)")
        print("  ALSA      \(ALSASequencer.libraryVersion)")
        print("  liblo     \(OSCLibrary.libraryVersion)")
        print("  FFTW      \(RealFFT.libraryVersion)")
        print("  SDL2      \(SDLLibrary.libraryVersion)")
        print("  OpenBLAS  \(BLAS.configuration)")
        print("  libpng    \(PNGFile.libraryVersion)")
        print("audio:")
        print("  JACK server: \(JACKServer.isRunning() ? "running" : JACKServer.lastProblem ?? "not running (the engine plays files on its own clock)")")
        print("MIDI:")
        do {
            _ = try ALSASequencer()
            print("  ALSA sequencer: available")
        } catch {
            print("  ALSA sequencer: \(error)")
        }
        print("tools:")
        for tool in ["ffmpeg", "ffprobe"] {
            print("  \(tool): \(ExternalTool(tool).locate() ?? "not found (needed for non-WAV audio and for video)")")
        }
        let display = ProcessInfo.processInfo.environment["DISPLAY"] ?? ""
        print("display: \(display.isEmpty ? "none (DISPLAY is not set: windows cannot open; recordings still work)" : display)")
    }
}
