import CFFTW
import Foundation

/// A real-to-complex FFT of one size, planned once (FFTW) and reused for every frame.
///
/// FFTW's planner is not thread-safe, so planning and plan destruction go through one lock; executing a
/// plan on its own buffers is safe from any thread and allocates nothing.
public final class RealFFT {
    public let size: Int
    public var bins: Int { size / 2 + 1 }
    /// Time-domain input: fill `size` values, then call `execute()`.
    public let input: UnsafeMutablePointer<Float>
    /// Spectrum output: `bins` complex values as interleaved (re, im) pairs.
    public let output: UnsafeMutablePointer<Float>
    private let plan: fftwf_plan
    private let complexOutput: UnsafeMutablePointer<fftwf_complex>

    private static let plannerLock = NSLock()

    public init(size: Int) {
        precondition(size >= 2 && size % 2 == 0, "FFT size must be even")
        self.size = size
        input = fftwf_alloc_real(size)!
        complexOutput = fftwf_alloc_complex(size / 2 + 1)!
        output = UnsafeMutableRawPointer(complexOutput).assumingMemoryBound(to: Float.self)
        input.initialize(repeating: 0, count: size)
        RealFFT.plannerLock.lock()
        plan = fftwf_plan_dft_r2c_1d(Int32(size), input, complexOutput, UInt32(FFTW_ESTIMATE | FFTW_DESTROY_INPUT))
        RealFFT.plannerLock.unlock()
    }

    deinit {
        RealFFT.plannerLock.lock()
        fftwf_destroy_plan(plan)
        RealFFT.plannerLock.unlock()
        fftwf_free(input)
        fftwf_free(complexOutput)
    }

    /// Transforms `input` into `output`. `input` is overwritten.
    @inline(__always)
    public func execute() { fftwf_execute(plan) }

    /// |X_k|² for every bin, after `execute()`.
    @inline(__always)
    public func power(into out: UnsafeMutablePointer<Float>) {
        for k in 0..<bins {
            let re = output[2 * k], im = output[2 * k + 1]
            out[k] = re * re + im * im
        }
    }

    /// FFTW's version string, for `latentvj doctor`.
    public static var libraryVersion: String {
        String(cString: lvj_fftwf_version())
    }
}
