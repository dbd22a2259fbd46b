import COpenBLAS
import Foundation

/// Large single-precision GEMMs split by columns over persistent worker threads.
///
/// Debian's multi-threaded OpenBLAS allocates a job array on the heap for every threaded sgemm call,
/// which the frame loop may not do. So OpenBLAS runs single-threaded and we split C = A·B by columns of
/// B and C ourselves: each thread multiplies A by its slice. Dispatch is a semaphore handshake with
/// threads created once: nothing is allocated per call.
public final class ParallelGEMM: @unchecked Sendable {
    public static let shared = ParallelGEMM(threads: ProcessInfo.processInfo.activeProcessorCount)

    public let threads: Int
    private let starts: [DispatchSemaphore]
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var job = Job()

    struct Job {
        var m = 0, n = 0, k = 0, lda = 0, ldb = 0, ldc = 0
        var a: UnsafePointer<Float>?, b: UnsafePointer<Float>?, c: UnsafeMutablePointer<Float>?
        var beta: Float = 0
    }

    /// Below this many multiply-adds a GEMM runs on the calling thread: the handshake would cost more.
    public var parallelThreshold = 200_000

    init(threads: Int) {
        self.threads = max(1, min(threads, 16))
        starts = (1..<self.threads).map { _ in DispatchSemaphore(value: 0) }
        openblas_set_num_threads(1)
        for worker in 1..<self.threads {
            let thread = Thread { [unowned self] in self.workerLoop(worker) }
            thread.name = "latentvj-gemm-\(worker)"
            thread.qualityOfService = .userInteractive
            thread.start()
        }
    }

    private func workerLoop(_ index: Int) {
        while true {
            starts[index - 1].wait()
            run(slice: index)
            done.signal()
        }
    }

    /// Columns [lo, hi) of slice `index` out of `threads`, aligned to 16 columns.
    private func run(slice index: Int) {
        let j = job
        let per = ((j.n + threads - 1) / threads + 15) / 16 * 16
        let lo = min(j.n, index * per), hi = min(j.n, lo + per)
        guard hi > lo else { return }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, blasint(j.m), blasint(hi - lo), blasint(j.k), 1,
                    j.a, blasint(j.lda), j.b! + lo, blasint(j.ldb), j.beta, j.c! + lo, blasint(j.ldc))
    }

    /// C[m×n] = A[m×k] · B[k×n] + beta · C, row-major.
    public func multiply(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                         c: UnsafeMutablePointer<Float>, ldc: Int, beta: Float = 0) {
        if threads == 1 || m * n * k < parallelThreshold || n < 32 * threads {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, blasint(m), blasint(n), blasint(k), 1,
                        a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
            return
        }
        lock.lock()
        job = Job(m: m, n: n, k: k, lda: lda, ldb: ldb, ldc: ldc, a: a, b: b, c: c, beta: beta)
        for s in starts { s.signal() }
        run(slice: 0)
        for _ in starts { done.wait() }
        lock.unlock()
    }
}
