import Basics
import COpenBLAS
import Foundation

/// Persistent worker threads for the frame loop: large GEMMs split by columns, and element-wise passes
/// split by channel, with nothing allocated per call.
///
/// Debian's multi-threaded OpenBLAS allocates a job array on the heap for every threaded sgemm call,
/// which the frame loop may not do. So OpenBLAS runs single-threaded and work is split here. A task is
/// a non-escaping closure lent to the workers for the duration of one call (`withoutActuallyEscaping`):
/// its context stays on the caller's stack.
/// Work that can be split into `threads` parts and run by `ParallelGEMM.run`. An object, not a closure:
/// closures lent to other threads get boxed on the heap, objects set up once do not.
public protocol ParallelWork: AnyObject {
    func work(part: Int)
}

public final class ParallelGEMM: @unchecked Sendable {
    public static let shared = ParallelGEMM(threads: ProcessInfo.processInfo.activeProcessorCount)

    public let threads: Int
    private let starts: [DispatchSemaphore]
    private let done = DispatchSemaphore(value: 0)
    fileprivate let lock = NSLock()
    private var target: ParallelWork?
    private var gemmJob: GEMMSlices!
    fileprivate var gemvJob: GEMVSlices!

    /// Below this many multiply-adds a GEMM runs on the calling thread: the handshake would cost more.
    public var parallelThreshold = 200_000

    init(threads: Int) {
        self.threads = max(1, min(threads, 16))
        starts = (1..<self.threads).map { _ in DispatchSemaphore(value: 0) }
        openblas_set_num_threads(1)
        gemmJob = GEMMSlices(pool: self)
        gemvJob = GEMVSlices(pool: self)
        for worker in 1..<self.threads {
            let thread = Thread { [unowned self] in self.workerLoop(worker) }
            thread.name = "latentvj-worker-\(worker)"
            thread.qualityOfService = .userInteractive
            thread.start()
        }
    }

    private func workerLoop(_ index: Int) {
        ThreadPriority.yieldToAudio()
        while true {
            starts[index - 1].wait()
            target?.work(part: index)
            done.signal()
        }
    }

    /// Runs `work.work(part:)` for part = 0 ..< threads, one part per thread (part 0 on the caller),
    /// and returns when all are done.
    public func run(_ work: ParallelWork) {
        guard threads > 1 else { work.work(part: 0); return }
        lock.lock()
        dispatch(work)
        lock.unlock()
    }

    /// The handshake itself; the caller holds `lock`.
    fileprivate func dispatch(_ work: ParallelWork) {
        target = work
        for s in starts { s.signal() }
        work.work(part: 0)
        for _ in starts { done.wait() }
        target = nil
    }

    /// The part of 0 ..< count that thread `part` handles.
    @inline(__always)
    public func range(_ part: Int, of count: Int, align: Int = 1) -> Range<Int> {
        let per = ((count + threads - 1) / threads + align - 1) / align * align
        let lo = min(count, part * per)
        return lo..<min(count, lo + per)
    }

    /// C[m×n] = A[m×k] · B[k×n] + beta · C, row-major, split by columns.
    public func multiply(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                         c: UnsafeMutablePointer<Float>, ldc: Int, beta: Float = 0) {
        if threads == 1 || m * n * k < parallelThreshold || n < 32 * threads {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, blasint(m), blasint(n), blasint(k), 1,
                        a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
            return
        }
        lock.lock()   // one job object serves every call: fill it and run it under the same lock
        gemmJob.set(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, beta: beta)
        dispatch(gemmJob)
        lock.unlock()
    }
}

extension ParallelGEMM {
    /// y[m] = A[m×n] · x[n] (row-major A), split by rows: the per-frame style and demodulation
    /// products read megabytes of weights, which one core alone cannot stream fast enough.
    public func multiplyVector(m: Int, n: Int, a: UnsafePointer<Float>, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        if threads == 1 || m * n < parallelThreshold / 2 || m < 16 * threads {
            cblas_sgemv(CblasRowMajor, CblasNoTrans, blasint(m), blasint(n), 1, a, blasint(n), x, 1, 0, y, 1)
            return
        }
        lock.lock()
        gemvJob.m = m; gemvJob.n = n; gemvJob.a = a; gemvJob.x = x; gemvJob.y = y
        dispatch(gemvJob)
        lock.unlock()
    }
}

/// One matrix-vector product cut into row slices.
private final class GEMVSlices: ParallelWork {
    unowned let pool: ParallelGEMM
    var m = 0, n = 0
    var a: UnsafePointer<Float>?, x: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>?
    init(pool: ParallelGEMM) { self.pool = pool }

    func work(part: Int) {
        let rows = pool.range(part, of: m, align: 8)
        guard !rows.isEmpty else { return }
        cblas_sgemv(CblasRowMajor, CblasNoTrans, blasint(rows.count), blasint(n), 1, a! + rows.lowerBound * n, blasint(n), x, 1, 0,
                    y! + rows.lowerBound, 1)
    }
}

/// One GEMM cut into column slices.
private final class GEMMSlices: ParallelWork {
    unowned let pool: ParallelGEMM
    var m = 0, n = 0, k = 0, lda = 0, ldb = 0, ldc = 0, beta: Float = 0
    var a: UnsafePointer<Float>?, b: UnsafePointer<Float>?, c: UnsafeMutablePointer<Float>?

    init(pool: ParallelGEMM) { self.pool = pool }

    func set(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
             c: UnsafeMutablePointer<Float>, ldc: Int, beta: Float) {
        self.m = m; self.n = n; self.k = k; self.a = a; self.lda = lda; self.b = b; self.ldb = ldb
        self.c = c; self.ldc = ldc; self.beta = beta
    }

    func work(part: Int) {
        let cols = pool.range(part, of: n, align: 16)
        guard !cols.isEmpty else { return }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, blasint(m), blasint(cols.count), blasint(k), 1,
                    a, blasint(lda), b! + cols.lowerBound, blasint(ldb), beta, c! + cols.lowerBound, blasint(ldc))
    }
}
