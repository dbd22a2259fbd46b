import AudioIn
import Foundation
import Synchronization
import TestSupport
import XCTest

final class SPSCRingTests: TimeLimitedTestCase {
    func testCapacityRoundsUpToAPowerOfTwo() {
        for (asked, got) in [(1, 1), (3, 4), (4, 4), (1000, 1024)] {
            let ring = SPSCRing<Float>(minimumCapacity: asked)
            defer { ring.deallocate() }
            XCTAssertEqual(ring.capacity, got)
        }
    }

    func testFirstInFirstOut() {
        let ring = SPSCRing<Float>(minimumCapacity: 8)
        defer { ring.deallocate() }
        XCTAssertTrue(ring.isEmpty)
        XCTAssertEqual(ring.write([1, 2, 3], count: 3), 3)
        XCTAssertTrue(ring.write(4))
        XCTAssertEqual(ring.count, 4)
        var out = [Float](repeating: 0, count: 8)
        XCTAssertEqual(ring.read(into: &out, maxCount: 2), 2)
        XCTAssertEqual(Array(out.prefix(2)), [1, 2])
        XCTAssertEqual(ring.read(into: &out, maxCount: 8), 2)
        XCTAssertEqual(Array(out.prefix(2)), [3, 4])
        XCTAssertTrue(ring.isEmpty)
        XCTAssertEqual(ring.read(into: &out, maxCount: 8), 0)
    }

    func testFullRingTakesWhatFitsAndRefusesTheRest() {
        let ring = SPSCRing<Float>(minimumCapacity: 4)
        defer { ring.deallocate() }
        XCTAssertEqual(ring.write([1, 2, 3, 4, 5, 6], count: 6), 4)
        XCTAssertTrue(ring.isFull)
        XCTAssertEqual(ring.availableToWrite, 0)
        XCTAssertFalse(ring.write(7))
        XCTAssertEqual(ring.write([8], count: 1), 0)
        var out = [Float](repeating: 0, count: 4)
        XCTAssertEqual(ring.read(into: &out, maxCount: 4), 4)
        XCTAssertEqual(out, [1, 2, 3, 4], "the oldest samples survive an overflow; the newest are dropped")
    }

    func testWrapsAroundTheEndOfTheStorage() {
        let ring = SPSCRing<Int>(minimumCapacity: 8)
        defer { ring.deallocate() }
        var next = 0, expected = 0
        var out = [Int](repeating: -1, count: 8)
        // Chunk sizes that are not divisors of the capacity, so copies straddle the end in every way.
        for chunk in [5, 3, 7, 6, 1, 8, 2, 7, 5] {
            let input = Array(next..<next + chunk)
            XCTAssertEqual(ring.write(input, count: chunk), chunk)
            next += chunk
            XCTAssertEqual(ring.read(into: &out, maxCount: chunk), chunk)
            XCTAssertEqual(Array(out.prefix(chunk)), Array(expected..<expected + chunk))
            expected += chunk
        }
        XCTAssertTrue(ring.isEmpty)
    }

    func testSkipDropsTheOldest() {
        let ring = SPSCRing<Int>(minimumCapacity: 8)
        defer { ring.deallocate() }
        ring.write(Array(0..<6), count: 6)
        XCTAssertEqual(ring.skip(4), 4)
        var out = [Int](repeating: 0, count: 8)
        XCTAssertEqual(ring.read(into: &out, maxCount: 8), 2)
        XCTAssertEqual(Array(out.prefix(2)), [4, 5])
        XCTAssertEqual(ring.skip(3), 0)
    }

    func testStereoInterleavesAndSplitsWholeFrames() {
        let ring = SPSCRing<Float>(minimumCapacity: 8)
        defer { ring.deallocate() }
        let left: [Float] = [1, 2, 3, 4, 5], right: [Float] = [-1, -2, -3, -4, -5]
        XCTAssertEqual(ring.writeInterleaved(left: left, right: right, frames: 5), 4, "8 slots hold 4 frames")
        var l = [Float](repeating: 0, count: 3), r = [Float](repeating: 0, count: 3)
        XCTAssertEqual(ring.readDeinterleaved(left: &l, right: &r, frames: 3), 3)
        XCTAssertEqual(l, [1, 2, 3]); XCTAssertEqual(r, [-1, -2, -3])
        var rest = [Float](repeating: 0, count: 2)
        XCTAssertEqual(ring.read(into: &rest, maxCount: 2), 2)
        XCTAssertEqual(rest, [4, -4])
    }

    /// A producer thread writes a counting sequence in chunks of varying size while a consumer thread
    /// drains and checks it. A producer that waits when the ring is full loses nothing: every value
    /// arrives exactly once and in order.
    func testTwoThreadsDeliverEverySampleOnceInOrder() {
        let outcome = stress(total: 5_000_000, dropWhenFull: false)
        XCTAssertEqual(outcome.outOfOrder, 0, "a value arrived twice or out of order")
        XCTAssertEqual(outcome.skipped, 0, "values went missing")
        XCTAssertEqual(outcome.received, 5_000_000)
    }

    /// A producer that never waits (the JACK callback) drops what does not fit and counts it: values may be
    /// missing, but only as many as were counted, and nothing arrives twice or out of order.
    func testTwoThreadsLoseNothingButCountedOverflows() {
        let outcome = stress(total: 20_000_000, dropWhenFull: true)
        XCTAssertEqual(outcome.outOfOrder, 0, "a value arrived twice or out of order")
        XCTAssertEqual(outcome.skipped, outcome.dropped, "values missing that the producer did not count as dropped")
        XCTAssertEqual(outcome.received + outcome.dropped, 20_000_000)
        XCTAssertGreaterThan(outcome.received, 0)
    }

    private final class StressOutcome: @unchecked Sendable {
        var dropped = 0, received = 0, outOfOrder = 0, skipped = 0
        let producerFinished = Atomic<Bool>(false)
    }

    private func stress(total: Int, dropWhenFull: Bool) -> StressOutcome {
        let ring = SPSCRing<Int>(minimumCapacity: 1024)
        defer { ring.deallocate() }
        let outcome = StressOutcome()
        let consumerStarted = DispatchSemaphore(value: 0)
        let producerDone = DispatchSemaphore(value: 0), consumerDone = DispatchSemaphore(value: 0)

        Thread {
            consumerStarted.wait()  // so the two really run at the same time
            var chunk = [Int](repeating: 0, count: 300)
            var next = 0, size = 1
            while next < total {
                let n = min(size, total - next)
                for i in 0..<n { chunk[i] = next + i }
                var stored = ring.write(chunk, count: n)
                if dropWhenFull {
                    outcome.dropped += n - stored
                } else {
                    while stored < n { stored += chunk.withUnsafeBufferPointer { ring.write($0.baseAddress! + stored, count: n - stored) } }
                }
                next += n
                size = (size + 37) % 300 + 1
            }
            outcome.producerFinished.store(true, ordering: .releasing)
            producerDone.signal()
        }.start()

        Thread {
            var out = [Int](repeating: 0, count: 257)
            var expected = 0
            consumerStarted.signal()
            while true {
                let done = outcome.producerFinished.load(ordering: .acquiring)
                let n = ring.read(into: &out, maxCount: out.count)
                for v in out.prefix(n) {
                    if v < expected { outcome.outOfOrder += 1 } else { outcome.skipped += v - expected }
                    expected = v + 1
                }
                outcome.received += n
                if n == 0 && done { break }
            }
            outcome.skipped += total - expected
            consumerDone.signal()
        }.start()

        XCTAssertEqual(producerDone.wait(timeout: .now() + 120), .success)
        XCTAssertEqual(consumerDone.wait(timeout: .now() + 120), .success)
        return outcome
    }
}
