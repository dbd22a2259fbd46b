import ArgumentParser
import Control
import Basics
import Foundation

@main
struct LatentVJ: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "latentvj",
        abstract: "Audio-reactive StyleGAN2 visuals for live performance.",
        discussion: """
        LatentVJ listens to music and turns what it hears into moving pictures. Start with:

          latentvj demo-audio -o demo.wav           make the built-in demo track
          latentvj features demo.wav --plot f.png   see what the engine hears in it
          latentvj doctor                           check this machine's audio, MIDI and display setup

        Exit codes: 0 success, 1 unexpected failure, 2 an input file is unusable (the message names it),
        3 a required program (ffmpeg) is missing, 64 the command line is wrong.
        Docs/ explains every command with examples.
        """,
        subcommands: [LiveCommand.self, ParamsCommand.self, LearnCommand.self, DemoAudioCommand.self, TrainingAudioCommand.self, TrainCommand.self, FeaturesCommand.self, RenderCommand.self, OptimizeCommand.self, FrameCommand.self, ScoreCommand.self, StudyCommand.self, BenchCommand.self, DoctorCommand.self, ConvertCommand.self, ModelCommand.self]
    )
}

/// Runs a command body, turning LatentVJ's errors into a one-line message and a meaningful exit code.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as FileError {
        FileHandle.standardError.write("error: \(error)\n")
        throw ExitCode(2)
    } catch let error as MissingToolError {
        FileHandle.standardError.write("error: \(error)\n")
        throw ExitCode(3)
    } catch let error as UsageError {
        FileHandle.standardError.write("error: \(error)\n")
        throw ExitCode(64)
    } catch let error as MappingError {
        FileHandle.standardError.write("error: \(error)\n")      // FILE:LINE: FIELD: … — an unusable input file
        throw ExitCode(2)
    }
}
