import Synchronization

/// A fixed-capacity, lock-free ring for exactly one producer thread and one consumer thread.
///
/// It is a struct of raw pointers rather than a class because the JACK process callback holds it by
/// value inside a plain context struct and must never touch a reference count. The price is explicit
/// ownership: whoever creates a ring calls `deallocate()` exactly once, after both threads have stopped
/// using it (`JACKInput` does this in `deinit`, after closing the client).
///
/// The producer only writes slots and its own index; the consumer only reads slots and its own index.
/// Each side publishes its index with a release store and reads the other's with an acquire load, so
/// slots are never read before they are written nor overwritten before they are read. When the ring is
/// full, `write` copies what fits and returns that count: the producer drops the rest and counts it.
public struct SPSCRing<Element: BitwiseCopyable>: @unchecked Sendable {
    /// Elements the ring holds when full: the requested capacity rounded up to a power of two.
    public let capacity: Int
    private let mask: Int
    private let slots: UnsafeMutablePointer<Element>
    /// Elements ever written and ever read. They only grow (an Int at audio rates will not wrap for
    /// millions of years), so `written - read` is the fill level without any ambiguity at full/empty.
    private let writtenIndex: UnsafeMutablePointer<Atomic<Int>>
    private let readIndex: UnsafeMutablePointer<Atomic<Int>>

    /// Cache line size: the two indices sit on separate lines so the threads do not false-share.
    private static var lineBytes: Int { 64 }

    public init(minimumCapacity: Int) {
        precondition(minimumCapacity > 0, "a ring needs room for at least one element")
        var c = 1
        while c < minimumCapacity { c <<= 1 }
        capacity = c
        mask = c - 1
        // All-zero bits: silence for samples, an empty record for events.
        let bytes = c * MemoryLayout<Element>.stride
        let storage = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: max(MemoryLayout<Element>.alignment, Self.lineBytes))
        storage.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        slots = storage.bindMemory(to: Element.self, capacity: c)
        let indices = UnsafeMutableRawPointer.allocate(byteCount: 2 * Self.lineBytes, alignment: Self.lineBytes)
        writtenIndex = indices.bindMemory(to: Atomic<Int>.self, capacity: 1)
        writtenIndex.initialize(to: Atomic(0))
        readIndex = (indices + Self.lineBytes).bindMemory(to: Atomic<Int>.self, capacity: 1)
        readIndex.initialize(to: Atomic(0))
    }

    /// Frees the storage. Call once, when neither thread will touch the ring again.
    public func deallocate() {
        UnsafeMutableRawPointer(slots).deallocate()
        UnsafeMutableRawPointer(writtenIndex).deallocate()
    }

    // MARK: Either side (a snapshot: the other side may move on immediately)

    /// Elements waiting to be read.
    public var count: Int { writtenIndex.pointee.load(ordering: .acquiring) - readIndex.pointee.load(ordering: .acquiring) }
    public var isEmpty: Bool { count == 0 }
    /// Elements ever written, and ever read (or skipped): positions in the stream the ring carries.
    public var totalWritten: Int { writtenIndex.pointee.load(ordering: .acquiring) }
    public var totalRead: Int { readIndex.pointee.load(ordering: .acquiring) }
    public var isFull: Bool { count == capacity }

    // MARK: Producer side

    /// Free slots, as seen by the producer.
    public var availableToWrite: Int {
        capacity - (writtenIndex.pointee.load(ordering: .relaxed) - readIndex.pointee.load(ordering: .acquiring))
    }

    /// Copies up to `count` elements in; returns how many fit. Never blocks.
    @discardableResult
    public func write(_ source: UnsafePointer<Element>, count: Int) -> Int {
        let start = writtenIndex.pointee.load(ordering: .relaxed)
        let n = min(count, capacity - (start - readIndex.pointee.load(ordering: .acquiring)))
        guard n > 0 else { return 0 }
        let offset = start & mask
        let first = min(n, capacity - offset)
        (slots + offset).update(from: source, count: first)
        if first < n { slots.update(from: source + first, count: n - first) }
        writtenIndex.pointee.store(start + n, ordering: .releasing)
        return n
    }

    /// Writes one element if there is room.
    @discardableResult
    public func write(_ element: Element) -> Bool {
        let start = writtenIndex.pointee.load(ordering: .relaxed)
        guard start - readIndex.pointee.load(ordering: .acquiring) < capacity else { return false }
        slots[start & mask] = element
        writtenIndex.pointee.store(start + 1, ordering: .releasing)
        return true
    }

    // MARK: Consumer side

    /// Copies up to `maxCount` of the oldest elements out, in order; returns how many.
    @discardableResult
    public func read(into destination: UnsafeMutablePointer<Element>, maxCount: Int) -> Int {
        let start = readIndex.pointee.load(ordering: .relaxed)
        let n = min(maxCount, writtenIndex.pointee.load(ordering: .acquiring) - start)
        guard n > 0 else { return 0 }
        let offset = start & mask
        let first = min(n, capacity - offset)
        destination.update(from: slots + offset, count: first)
        if first < n { (destination + first).update(from: slots, count: n - first) }
        readIndex.pointee.store(start + n, ordering: .releasing)
        return n
    }

    /// Drops up to `maxCount` of the oldest elements unread (a consumer that fell behind catches up to
    /// the newest audio instead of lagging); returns how many.
    @discardableResult
    public func skip(_ maxCount: Int) -> Int {
        let start = readIndex.pointee.load(ordering: .relaxed)
        let n = min(maxCount, writtenIndex.pointee.load(ordering: .acquiring) - start)
        guard n > 0 else { return 0 }
        readIndex.pointee.store(start + n, ordering: .releasing)
        return n
    }
}

/// Stereo as interleaved pairs (left, right, left, ...): the ring stays frame-aligned because both
/// sides only ever move whole frames (the capacity is a power of two, hence even).
extension SPSCRing where Element == Float {
    /// Producer: interleaves two channel buffers in; returns the frames that fit (whole frames only).
    @discardableResult
    public func writeInterleaved(left: UnsafePointer<Float>, right: UnsafePointer<Float>, frames: Int) -> Int {
        let start = writtenIndex.pointee.load(ordering: .relaxed)
        let n = min(frames, (capacity - (start - readIndex.pointee.load(ordering: .acquiring))) / 2)
        guard n > 0 else { return 0 }
        for i in 0..<n {
            slots[(start + 2 * i) & mask] = left[i]
            slots[(start + 2 * i + 1) & mask] = right[i]
        }
        writtenIndex.pointee.store(start + 2 * n, ordering: .releasing)
        return n
    }

    /// Consumer: splits up to `frames` interleaved frames into two channel buffers; returns the frames
    /// read. The caller decides what fills the rest (JACK playback: silence).
    @discardableResult
    public func readDeinterleaved(left: UnsafeMutablePointer<Float>, right: UnsafeMutablePointer<Float>, frames: Int) -> Int {
        let start = readIndex.pointee.load(ordering: .relaxed)
        let n = min(frames, (writtenIndex.pointee.load(ordering: .acquiring) - start) / 2)
        guard n > 0 else { return 0 }
        for i in 0..<n {
            left[i] = slots[(start + 2 * i) & mask]
            right[i] = slots[(start + 2 * i + 1) & mask]
        }
        readIndex.pointee.store(start + 2 * n, ordering: .releasing)
        return n
    }
}
