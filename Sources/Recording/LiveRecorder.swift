import AudioIn
import Basics
import Foundation
import Synchronization

/// Records a live set: frames and the audio that drove them, in sync, through ffmpeg into Matroska
/// (H.264 + FLAC), which stays playable up to its last cluster if the process is killed.
///
/// The frame producer only copies into two lock-free rings (`submit`, allocation-free, never blocks);
/// a recorder thread feeds ffmpeg: video on its standard input, audio through a named pipe. When the
/// encoder cannot keep up, frames are dropped and counted; when it fails (ffmpeg gone, disk full) the
/// recording stops with the reason and the show goes on.
public final class LiveRecorder: FrameSink, @unchecked Sendable {
    public enum State: Equatable, Sendable {
        case recording
        case stopped(String)
    }

    public let path: String
    public let width: Int, height: Int, fps: Double, sampleRate: Double
    private let frameBytes: Int
    private let video: SPSCRing<UInt8>
    private let audio: SPSCRing<Float>
    private let process = Process()
    private let stdin: FileHandle
    private let errorPipe = Pipe()
    private let fifoPath: String
    private var fifo: Int32 = -1
    private let running = Atomic<Bool>(true)
    private let failed = Atomic<Bool>(false)
    private let droppedFrames = Atomic<Int>(0)
    private let writtenFrames = Atomic<Int>(0)
    /// Frames the producer handed over (the picture's clock, whether or not ffmpeg has read them yet).
    private let submittedFrames = Atomic<Int>(0)
    private let stateLock = Lock<State>(.recording)
    private var thread: Thread?
    private let finished = Atomic<Bool>(false)
    /// The timeout of the stop in progress (milliseconds), set by `stop()` before the recorder thread sees it.
    private let stopTimeoutMillis = Atomic<Int>(5000)
    /// Set under `stateLock` when a stop had to drop frames or end ffmpeg by force.
    private var problemAtStop: String?

    public init(path: String, width: Int, height: Int, fps: Double, sampleRate: Double, bufferedFrames: Int = 48,
                ffmpeg: ExternalTool = ExternalTool("ffmpeg")) throws {
        self.path = path; self.width = width; self.height = height; self.fps = fps; self.sampleRate = sampleRate
        frameBytes = width * height * 3
        signal(SIGPIPE, SIG_IGN)   // a dead encoder must surface as a write error, not kill the engine
        signal(SIGXFSZ, SIG_IGN)   // a file-size limit must surface as a write error (here and in ffmpeg), not kill anyone
        fifoPath = FileManager.default.temporaryDirectory.appendingPathComponent("latentvj-rec-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).f32").path
        guard mkfifo(fifoPath, 0o600) == 0 else { throw FileError(fifoPath, "cannot create the audio pipe for recording") }
        let executable = try ffmpeg.require(for: "to record")
        // The encoder runs nicer than the engine (`nice` execs it: same process id): the live picture
        // and the audio server come first; if the encoder falls behind, the recorder says so.
        let nice = "/usr/bin/nice"
        let niced = FileManager.default.isExecutableFile(atPath: nice)
        process.executableURL = URL(fileURLWithPath: niced ? nice : executable)
        process.arguments = (niced ? ["-n", "10", executable] : []) + ["-nostdin", "-hide_banner", "-loglevel", "error", "-y",
                             "-thread_queue_size", "512", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "\(width)x\(height)",
                             "-framerate", String(fps), "-i", "pipe:0",
                             "-thread_queue_size", "512", "-f", "f32le", "-ar", String(Int(sampleRate)), "-ac", "1", "-i", fifoPath,
                             "-map", "0:v:0", "-map", "1:a:0",
                             "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p", "-g", String(Int(fps * 2)),
                             "-c:a", "flac", "-f", "matroska", "-cluster_time_limit", "1000", path]
        let pipe = Pipe()
        process.standardInput = pipe
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errorPipe
        do { try process.run() } catch { unlink(fifoPath); throw FileError(path, "cannot start ffmpeg to record: \(error)") }
        stdin = pipe.fileHandleForWriting
        // Read-write open never waits for ffmpeg to open its end; writes then block only when the pipe is full.
        fifo = open(fifoPath, O_RDWR | O_NONBLOCK)
        video = SPSCRing(minimumCapacity: bufferedFrames * frameBytes)
        audio = SPSCRing(minimumCapacity: Int(sampleRate) * 8)
        let t = Thread { [unowned self] in self.feed() }
        t.name = "latentvj recorder"
        thread = t
        t.start()
    }

    deinit {
        stop()
        video.deallocate(); audio.deallocate()
    }

    public var state: State { stateLock.withLock { $0 } }
    public var dropped: Int { droppedFrames.load(ordering: .relaxed) }
    public var frames: Int { writtenFrames.load(ordering: .relaxed) }

    /// One shown frame (width × height × 3 bytes) and the mono audio that arrived with it. Producer
    /// thread: copies only, never blocks, never allocates. Returns false when the frame was dropped.
    @discardableResult
    public func submit(frame: UnsafePointer<UInt8>, audio samples: UnsafePointer<Float>, count: Int) -> Bool {
        guard running.load(ordering: .acquiring), !failed.load(ordering: .acquiring) else { return false }
        _ = audio.write(samples, count: count)
        guard video.availableToWrite >= frameBytes else { droppedFrames.add(1, ordering: .relaxed); return false }
        _ = video.write(frame, count: frameBytes)
        submittedFrames.add(1, ordering: .relaxed)
        return true
    }

    /// Audio that arrived with no new picture (the state did not advance by a row): it belongs to the
    /// recording all the same; the recorder repeats the last frame for its time. Copies only.
    public func submit(audio samples: UnsafePointer<Float>, count: Int) {
        guard count > 0, running.load(ordering: .acquiring), !failed.load(ordering: .acquiring) else { return }
        _ = audio.write(samples, count: count)
    }

    /// Finishes the file, in bounded time: what is queued is written, the audio is padded with silence
    /// to the video's length, and both of ffmpeg's inputs are ended (EOF on the audio pipe, then on the
    /// video pipe), so ffmpeg never waits for audio that cannot come. An encoder that does not take what
    /// is left within `timeout` seconds gets the rest dropped and its inputs closed; one that does not
    /// finish within another `timeout` is interrupted (SIGINT: it writes what it has), then killed. A
    /// Matroska file stays playable up to its last cluster either way. Blocks the caller until then:
    /// the live engine calls it off its main loop (`LiveRecordingFinisher`).
    public func stop(timeout: Double = LiveRecorder.stopTimeout) {
        if running.load(ordering: .acquiring) { stopTimeoutMillis.store(Int(timeout * 1000), ordering: .releasing) }
        running.store(false, ordering: .releasing)
        while !finished.load(ordering: .acquiring) { usleep(5_000) }
    }

    /// Seconds `stop()` gives ffmpeg to take what is left, and again to finish the file.
    public static let stopTimeout = 5.0

    /// How the last stop ended: nil while recording or when ffmpeg finished by itself.
    public var stopProblem: String? { stateLock.withLock { _ in problemAtStop } }

    private func fail(_ reason: String) {
        failed.store(true, ordering: .releasing)
        stateLock.withLock { $0 = .stopped(reason) }
    }

    /// Recorder thread: feeds both of ffmpeg's inputs without ever blocking on one of them (while it
    /// probes or muxes, ffmpeg may wait for audio before it reads more video, or the other way round), and
    /// repeats the last frame for ticks the producer missed, so the video's clock stays the audio's.
    private func feed() {
        _ = fcntl(stdin.fileDescriptor, F_SETFL, fcntl(stdin.fileDescriptor, F_GETFL) | O_NONBLOCK)
        let frame = UnsafeMutablePointer<UInt8>.allocate(capacity: frameBytes)
        let chunk = UnsafeMutablePointer<Float>.allocate(capacity: 8192)
        defer { frame.deallocate(); chunk.deallocate() }
        var audioPending = 0, audioOffset = 0          // bytes of `chunk`
        var videoOffset = -1                           // bytes of `frame` written; -1: no frame in hand
        var haveFrame = false, audioWritten = 0
        var videoOpen = true
        var giveUpAt: Double?                          // monotonic seconds: when a stop stops waiting for ffmpeg
        while !failed.load(ordering: .acquiring) {
            let stopping = !running.load(ordering: .acquiring)
            if stopping && giveUpAt == nil { giveUpAt = Self.now() + Double(stopTimeoutMillis.load(ordering: .acquiring)) / 1000 }
            // Frames ffmpeg will have once everything queued is written: the audio must reach their end.
            let videoFrames = frames + (videoOffset >= 0 ? 1 : 0) + video.count / frameBytes
            var progressed = false
            if fifo >= 0 && audioPending == audioOffset {
                var n = audio.read(into: chunk, maxCount: 8192)
                // No audio while frames go on (the audio server was lost, or the set is ending): silence
                // keeps the sound in step with the picture. Without it ffmpeg, interleaving by time, waits
                // for audio that never comes while the video pipe fills, and a stop never finishes.
                // (Measured against the frames handed over, not those ffmpeg has read: at its start ffmpeg
                // reads audio before it takes more than a frame of video. At a stop, against every frame
                // the file will hold, repeated ones included.)
                let pictureSeconds = stopping ? Double(max(videoFrames, submittedFrames.load(ordering: .relaxed))) / fps
                                              : Double(submittedFrames.load(ordering: .relaxed)) / fps
                let behind = pictureSeconds - Double(audioWritten) / sampleRate
                if n == 0 && behind > (stopping ? 0 : Self.silenceAfter) {
                    n = min(8192, Int((behind * sampleRate).rounded(.up)))
                    chunk.update(repeating: 0, count: n)
                }
                audioPending = n * 4; audioOffset = 0
                audioWritten += n
            }
            if fifo >= 0 && audioOffset < audioPending {
                switch writeSome(fifo, UnsafeRawPointer(chunk) + audioOffset, audioPending - audioOffset) {
                case .wrote(let n): audioOffset += n; progressed = true
                case .full: break
                case .failed: fail(encoderGone("audio"))
                }
            }
            // Stopping, with every sample out and the sound as long as the picture: end the audio input,
            // so ffmpeg takes the rest of the video without waiting for more sound. (Only once ffmpeg has
            // opened the pipe: closed before, its open would wait for a writer for ever.)
            if stopping && fifo >= 0 && audioOffset == audioPending && audio.isEmpty
                && Double(audioWritten) / sampleRate >= Double(videoFrames) / fps && encoderOpened(fifoPath) {
                close(fifo); fifo = -1; progressed = true
            }
            if videoOpen && videoOffset < 0 {
                if video.count >= frameBytes {
                    _ = video.read(into: frame, maxCount: frameBytes)
                    videoOffset = 0; haveFrame = true
                } else if !stopping && haveFrame && Double(frames + 1) < Double(audioWritten) / sampleRate * fps - 1 {
                    videoOffset = 0                    // repeat the last frame
                }
            }
            if videoOpen && videoOffset >= 0 && !failed.load(ordering: .acquiring) {
                switch writeSome(stdin.fileDescriptor, UnsafeRawPointer(frame) + videoOffset, frameBytes - videoOffset) {
                case .wrote(let n):
                    videoOffset += n; progressed = true
                    if videoOffset == frameBytes { videoOffset = -1; writtenFrames.add(1, ordering: .relaxed) }
                case .full: break
                case .failed: fail(encoderGone("video"))
                }
            }
            if stopping && videoOpen && fifo < 0 && videoOffset < 0 && video.count < frameBytes {
                try? stdin.close(); videoOpen = false
            }
            if stopping && !videoOpen && fifo < 0 { break }
            if let giveUpAt, Self.now() >= giveUpAt {
                // ffmpeg does not take what is left: drop it, end its inputs, and let it finish what it has.
                let left = video.count / frameBytes + (videoOffset >= 0 ? 1 : 0)
                droppedFrames.add(left, ordering: .relaxed)
                stateLock.withLock { _ in problemAtStop = "ffmpeg stopped taking input; \(left) frames dropped at the end" }
                break
            }
            if !progressed {
                if !process.isRunning { fail(encoderGone("frames")) }
                usleep(1_000)
            }
        }
        if videoOpen { try? stdin.close() }
        if fifo >= 0 { close(fifo); fifo = -1 }
        finishEncoder()
        unlink(fifoPath)
        if process.terminationStatus != 0, case .recording = state, problemAtStop == nil { fail("ffmpeg failed: \(lastError())") }
        finished.store(true, ordering: .releasing)
    }

    /// Waits for ffmpeg to end after its inputs were closed, for the stop's timeout at most; then SIGINT
    /// (ffmpeg writes its trailer and exits), and SIGKILL if even that does not end it.
    private func finishEncoder() {
        let grace = max(0.5, Double(stopTimeoutMillis.load(ordering: .acquiring)) / 1000)
        func exited(within seconds: Double) -> Bool {
            let end = Self.now() + seconds
            while process.isRunning && Self.now() < end { usleep(5_000) }
            return !process.isRunning
        }
        if !exited(within: grace) {
            kill(process.processIdentifier, SIGINT)
            if !exited(within: 2) {
                kill(process.processIdentifier, SIGKILL)
                stateLock.withLock { _ in problemAtStop = (problemAtStop.map { $0 + "; " } ?? "") + "ffmpeg did not finish and was killed" }
            } else {
                stateLock.withLock { _ in problemAtStop = (problemAtStop.map { $0 + "; " } ?? "") + "ffmpeg did not finish by itself and was interrupted" }
            }
        }
        process.waitUntilExit()
    }

    /// True once the encoder process holds `path` open (its audio input), read from /proc; true as well
    /// when that cannot be known or the encoder is gone (then nothing waits for a writer any more).
    private func encoderOpened(_ path: String) -> Bool {
        guard process.isRunning else { return true }
        let fds = "/proc/\(process.processIdentifier)/fd"
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: fds) else { return true }
        return entries.contains { (try? FileManager.default.destinationOfSymbolicLink(atPath: "\(fds)/\($0)")) == path }
    }

    private static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    /// Audio this far behind the frames (seconds) with none arriving is filled with silence.
    static let silenceAfter = 0.25

    private enum WriteResult { case wrote(Int), full, failed }

    private func writeSome(_ fd: Int32, _ data: UnsafeRawPointer, _ count: Int) -> WriteResult {
        while true {
            let n = write(fd, data, count)
            if n >= 0 { return n > 0 ? .wrote(n) : .full }
            if errno == EINTR { continue }
            return errno == EAGAIN ? .full : .failed
        }
    }

    private func encoderGone(_ what: String) -> String {
        // A broken pipe means ffmpeg closed its input and is on its way out: give it a moment to exit, so
        // the reason it gives (a full disk) is read, not only the pipe's error (seen in CI: EPIPE came
        // before ffmpeg had been reaped).
        let deadline = Self.now() + 2
        while process.isRunning && Self.now() < deadline { usleep(5_000) }
        if !process.isRunning {
            process.waitUntilExit()
            let message = lastError()
            if message.localizedCaseInsensitiveContains("No space left") || message.localizedCaseInsensitiveContains("File too large") {
                return "disk full or file size limit reached: \(message)"
            }
            // ffmpeg does not always get to say so: look at the file and the disk too.
            if let reason = outOfSpace() { return "disk full or file size limit reached: \(reason)" }
            if process.terminationReason == .uncaughtSignal {
                if process.terminationStatus == SIGXFSZ { return "disk full or file size limit reached" }
                return "ffmpeg was killed (signal \(process.terminationStatus))"
            }
            return "ffmpeg stopped (\(process.terminationStatus)): \(message)"
        }
        let error = String(cString: strerror(errno))
        if let reason = outOfSpace() { return "disk full or file size limit reached: \(reason)" }
        return "writing \(what) to ffmpeg failed: \(error)"
    }

    /// Whether the file has reached the file-size limit ffmpeg inherited, or its disk is (all but) full.
    private func outOfSpace() -> String? {
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_FSIZE.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max,
           size > 0, UInt64(size) + 256 * 1024 >= UInt64(limit.rlim_cur) {
            return "the file is at the file-size limit (\(limit.rlim_cur) bytes)"
        }
        var disk = statvfs()
        let folder = (path as NSString).deletingLastPathComponent
        if statvfs(folder.isEmpty ? "." : folder, &disk) == 0, UInt64(disk.f_bavail) * UInt64(disk.f_frsize) < 1 << 20 {
            return "less than 1 MB free on the disk"
        }
        return nil
    }

    private func lastError() -> String {
        let text = String(decoding: errorPipe.fileHandleForReading.availableData, as: UTF8.self)
        return text.split(separator: "\n").last.map(String.init) ?? "no message"
    }
}
