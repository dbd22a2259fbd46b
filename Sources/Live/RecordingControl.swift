import Basics
import Foundation
import Recording

/// Starting and stopping recordings from the engine's main loop: `--record FILE` starts one, R (or the
/// `record` parameter) toggles; each new recording after the first gets a numbered name so nothing is
/// overwritten. Finishing a file (ffmpeg writing what it has, bounded by `LiveRecorder.stop`) runs on a
/// thread of its own, so the window keeps presenting and controls keep working meanwhile; `poll()`
/// reports recordings that have finished.
public final class RecordingControl {
    /// What happened to a recording, for the CLI to print (text on stderr, JSON events with --json).
    public enum Event: Sendable {
        case started(path: String, log: String?)
        case failedToStart(String)
        /// The encoder failed mid-set (disk full, ffmpeg gone): the recording stops, the show goes on.
        case encoderFailed(path: String, reason: String)
        /// The file is complete: `frames` written, `dropped` not; `problem` says if the stop had to force ffmpeg.
        case finished(path: String, frames: Int, dropped: Int, problem: String?)
    }

    /// The HUD's view.
    public enum Status: Equatable {
        case off
        case recording(elapsedSeconds: Double)
        case stopped(message: String)
    }

    public let base: String
    public let producer: FrameProducer
    /// Makes the performance-log header for a new recording (the decoder's current setup and gains).
    public var logHeader: (() -> PerformanceLog.Header)?
    public var onEvent: (Event) -> Void = { _ in }
    public private(set) var log: PerformanceLog?
    public let width: Int, fps: Double, sampleRate: Double
    private var current: LiveRecorder?
    private var started = Date()
    private var count = 0
    private var lastMessage: String?
    /// Recordings whose files are being finished, and those done (reported by the next `poll`).
    private let finishing = Shared<(running: Int, done: [LiveRecorder])>((0, []))

    public init(base: String, producer: FrameProducer, width: Int, fps: Double, sampleRate: Double) {
        self.base = base; self.producer = producer; self.width = width; self.fps = fps; self.sampleRate = sampleRate
    }

    public var isRecording: Bool { current != nil }
    /// Files still being finished in the background.
    public var finishingCount: Int { finishing.value.withLock { $0.running } }

    public func toggle() {
        if current != nil { finish(); return }
        count += 1
        let ext = (base as NSString).pathExtension.isEmpty ? "mkv" : (base as NSString).pathExtension
        let path = count == 1 ? base : (base as NSString).deletingPathExtension + "-\(count)." + ext
        do {
            let recorder = try LiveRecorder(path: path, width: width, height: width, fps: fps, sampleRate: sampleRate)
            current = recorder
            started = Date()
            lastMessage = nil
            producer.record(to: recorder)
            if let header = logHeader?() {
                let logPath = (path as NSString).deletingPathExtension + ".performance.jsonl"
                log = try? PerformanceLog(path: logPath, header: header)
                producer.log(to: log)
            }
            onEvent(.started(path: path, log: log?.path))
        } catch {
            lastMessage = "recording failed: \(error)"
            onEvent(.failedToStart("\(error)"))
        }
    }

    /// Stops the current recording: the producer lets go of it at once, and its file is finished on a
    /// thread of its own.
    public func finish() {
        guard let recorder = current else { return }
        producer.record(to: nil)
        producer.log(to: nil)
        log?.flush()
        log = nil
        current = nil
        finishing.value.withLock { $0.running += 1 }
        let finishing = self.finishing
        let t = Thread {
            recorder.stop()
            finishing.value.withLock { $0.running -= 1; $0.done.append(recorder) }
        }
        t.name = "latentvj recording finisher"
        t.start()
    }

    /// Called once per main-loop turn: finishes a recording whose encoder failed, reports finished
    /// files, and says what the HUD shows.
    @discardableResult
    public func poll() -> Status {
        reportFinished()
        if let recorder = current {
            if case .stopped(let reason) = recorder.state {
                // The encoder failed mid-set: stop recording, keep the show going, say why.
                lastMessage = "recording stopped: \(reason)"
                onEvent(.encoderFailed(path: recorder.path, reason: reason))
                finish()
                return .stopped(message: lastMessage!)
            }
            return .recording(elapsedSeconds: Date().timeIntervalSince(started))
        }
        return lastMessage.map { .stopped(message: $0) } ?? .off
    }

    /// At the end of the show: stops the current recording and waits until every file is finished
    /// (each stop is bounded, so this is too).
    public func finishAll() {
        finish()
        while finishingCount > 0 { usleep(10_000) }
        reportFinished()
    }

    private func reportFinished() {
        let done = finishing.value.withLock { f in defer { f.done = [] }; return f.done }
        for recorder in done {
            onEvent(.finished(path: recorder.path, frames: recorder.frames, dropped: recorder.dropped, problem: recorder.stopProblem))
        }
    }
}
