#if canImport(Glibc)
import Glibc
#endif

/// Scheduling courtesy towards the audio server. With real-time scheduling jackd's threads preempt
/// everything anyway; without it (a laptop without rtprio, a container) they compete with the render
/// threads on equal terms, and a render burst on every core makes JACK miss its period (an xrun). Render
/// and recording threads therefore run a little nicer than normal, so audio wins the CPU when both want it.
public enum ThreadPriority {
    /// Lowers the calling thread's priority by `niceness` (Linux: per-thread nice value). Best effort.
    public static func yieldToAudio(niceness: Int32 = 5) {
        #if os(Linux)
        guard let tid = currentThreadID() else { return }
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(tid), niceness)
        #endif
    }

    /// The kernel's id of the calling thread, from /proc/thread-self → "PID/task/TID" (Glibc's gettid is
    /// not visible to Swift here).
    static func currentThreadID() -> Int32? {
        var buffer = [CChar](repeating: 0, count: 64)
        let n = readlink("/proc/thread-self", &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        let text = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return text.split(separator: "/").last.flatMap { Int32($0) }
    }

    /// The calling thread's nice value (tests).
    public static func currentNiceness() -> Int32? {
        #if os(Linux)
        guard let tid = currentThreadID() else { return nil }
        errno = 0
        let value = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(tid))
        return errno == 0 ? value : nil
        #else
        return nil
        #endif
    }
}
