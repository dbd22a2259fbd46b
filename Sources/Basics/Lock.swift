import CSanitizer
import Synchronization

/// A value behind a lock: the standard library's `Mutex`, plus what ThreadSanitizer needs to see it.
/// `Mutex` locks with futex calls inside the (uninstrumented) standard library, so a TSan build would
/// report every access it protects as a race; here each critical section also tells TSan it acquires
/// and releases the value (weak calls that do nothing outside a TSan build). Stored inline like `Mutex`,
/// so a class holding one allocates nothing more for it.
public struct Lock<Value>: ~Copyable, @unchecked Sendable {
    private let mutex: Mutex<Value>

    public init(_ initial: sending Value) { mutex = Mutex(initial) }

    @inline(__always)
    public borrowing func withLock<Result, E: Error>(_ body: (inout Value) throws(E) -> Result) throws(E) -> Result {
        try mutex.withLock { (value: inout Value) throws(E) -> Result in
            // The mutex's own address stands for the value: taking `&value` for it would be a Swift
            // access of its own, before the acquire, which TSan would report.
            withUnsafePointer(to: mutex) { lvj_tsan_acquire(UnsafeMutableRawPointer(mutating: $0)) }
            defer { withUnsafePointer(to: mutex) { lvj_tsan_release(UnsafeMutableRawPointer(mutating: $0)) } }
            return try body(&value)
        }
    }
}
