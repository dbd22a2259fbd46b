import Features
import Foundation

/// The video spectrogram: how much of the grey frame lies at each spatial frequency, whatever the
/// direction. Magnitude of the 2-D FFT, averaged over angle into radial bands.
///
/// - The frame's mean is removed and a separable Hann window applied first: without the window the
///   jump between opposite edges of the (implicitly periodic) frame puts a bright cross of false high
///   frequencies into every spectrum.
/// - Band b covers radial frequencies (b/B · 0.5, (b+1)/B · 0.5] in cycles per pixel (linear, B = 32),
///   measured in each axis's own units, so it does not depend on the frame size. DC is excluded, and so
///   are the corners beyond 0.5 cycles/px, which exist only diagonally (not whole rings).
/// - A band's value is the mean magnitude over its bins, plain (not log), scaled by 1/√Σw² of the
///   window: then white noise of standard deviation σ has magnitudes of RMS σ in every band, at any
///   frame size.
///
/// The 2-D transform is built from 1-D `RealFFT`s (rows real-to-complex, then each complex column as
/// two real transforms), so all FFTW planning goes through RealFFT's one planner lock.
///
/// The transform covers a centred crop whose sides are even and have no prime factor above 7 (74 px →
/// 72): FFTW's algorithms for large prime factors allocate scratch memory on every execution, which
/// the live frame loop must not do. The window fades the cropped edges out anyway.
final class SpatialSpectrum {
    /// The frame size `measure` expects.
    let frameWidth: Int, frameHeight: Int
    /// The transformed crop.
    let width: Int, height: Int, bands: Int
    private let cropX: Int, cropY: Int
    private let halfWidth: Int        // complex bins per row: width/2 + 1
    private let rowFFT: RealFFT
    private let columnFFT: RealFFT
    private let windowX: UnsafeMutablePointer<Float>, windowY: UnsafeMutablePointer<Float>
    private let real: UnsafeMutablePointer<Float>, imaginary: UnsafeMutablePointer<Float>
    private let columnReal: UnsafeMutablePointer<Float>   // spectrum of a column's real parts
    /// Band of each bin of the half spectrum (height × halfWidth), -1 when excluded.
    private let bandOf: UnsafeMutablePointer<Int32>
    /// Columns 1 ..< width/2 stand for themselves and their mirror image: they count twice.
    private let columnWeight: UnsafeMutablePointer<Float>
    private let inverseCount: UnsafeMutablePointer<Float>
    private let scale: Float

    init(frameWidth: Int, frameHeight: Int, bands: Int) {
        precondition(frameWidth >= 2 && frameHeight >= 2, "the 2-D FFT needs at least 2 × 2 pixels")
        self.frameWidth = frameWidth; self.frameHeight = frameHeight; self.bands = bands
        width = Self.friendlySize(atMost: frameWidth)
        height = Self.friendlySize(atMost: frameHeight)
        cropX = (frameWidth - width) / 2
        cropY = (frameHeight - height) / 2
        halfWidth = width / 2 + 1
        rowFFT = RealFFT(size: width)
        columnFFT = RealFFT(size: height)
        windowX = .allocate(capacity: width); windowY = .allocate(capacity: height)
        real = .allocate(capacity: height * halfWidth); imaginary = .allocate(capacity: height * halfWidth)
        columnReal = .allocate(capacity: 2 * (height / 2 + 1))
        bandOf = .allocate(capacity: height * halfWidth)
        columnWeight = .allocate(capacity: halfWidth)
        inverseCount = .allocate(capacity: bands)

        // A Hann window sampled at pixel centres (no zero weights at the edges).
        func hann(_ i: Int, _ n: Int) -> Float { Float(pow(sin(Double.pi * (Double(i) + 0.5) / Double(n)), 2)) }
        var energyX: Float = 0, energyY: Float = 0
        for x in 0..<width { windowX[x] = hann(x, width); energyX += windowX[x] * windowX[x] }
        for y in 0..<height { windowY[y] = hann(y, height); energyY += windowY[y] * windowY[y] }
        scale = 1 / (energyX * energyY).squareRoot()

        for k in 0..<halfWidth { columnWeight[k] = (k == 0 || k == width / 2) ? 1 : 2 }
        inverseCount.initialize(repeating: 0, count: bands)
        for m in 0..<height {
            let fy = Double(m <= height / 2 ? m : m - height) / Double(height)
            for k in 0..<halfWidth {
                let fx = Double(k) / Double(width)
                let radius = (fx * fx + fy * fy).squareRoot()
                var band: Int32 = -1
                if radius > 0 && radius <= 0.5 {
                    band = Int32(min(bands - 1, Int(radius / 0.5 * Double(bands))))
                    inverseCount[Int(band)] += columnWeight[k]
                }
                bandOf[m * halfWidth + k] = band
            }
        }
        for b in 0..<bands where inverseCount[b] > 0 { inverseCount[b] = 1 / inverseCount[b] }
    }

    /// The largest even size ≤ n whose prime factors are all 2, 3, 5 or 7.
    static func friendlySize(atMost n: Int) -> Int {
        var size = n & ~1
        while size > 2 {
            var rest = size
            for p in [2, 3, 5, 7] { while rest % p == 0 { rest /= p } }
            if rest == 1 { break }
            size -= 2
        }
        return max(2, size)
    }

    deinit {
        windowX.deallocate(); windowY.deallocate(); real.deallocate(); imaginary.deallocate()
        columnReal.deallocate(); bandOf.deallocate(); columnWeight.deallocate(); inverseCount.deallocate()
    }

    /// Writes `bands` values for the `frameWidth × frameHeight` grey frame. Allocates nothing.
    func measure(grey frame: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        let grey = frame + cropY * frameWidth + cropX
        var total: Float = 0
        for y in 0..<height {
            for x in 0..<width { total += grey[y * frameWidth + x] }
        }
        let mean = total / Float(width * height)

        // Rows: real-to-complex.
        let rowIn = rowFFT.input, rowOut = rowFFT.output
        for y in 0..<height {
            let line = grey + y * frameWidth
            let wy = windowY[y]
            for x in 0..<width { rowIn[x] = (line[x] - mean) * windowX[x] * wy }
            rowFFT.execute()
            for k in 0..<halfWidth {
                real[y * halfWidth + k] = rowOut[2 * k]
                imaginary[y * halfWidth + k] = rowOut[2 * k + 1]
            }
        }

        // Columns: the complex column z = a + ib transforms as Z = A + iB, where A and B are the real
        // transforms of a and b (each known for m ≤ height/2; the rest is their conjugate mirror).
        out.update(repeating: 0, count: bands)
        let columnIn = columnFFT.input, columnOut = columnFFT.output
        let halfHeight = height / 2
        for k in 0..<halfWidth {
            for y in 0..<height { columnIn[y] = real[y * halfWidth + k] }
            columnFFT.execute()
            for j in 0..<(2 * (halfHeight + 1)) { columnReal[j] = columnOut[j] }
            for y in 0..<height { columnIn[y] = imaginary[y * halfWidth + k] }
            columnFFT.execute()
            let weight = columnWeight[k] * scale
            for m in 0...halfHeight {
                let ar = columnReal[2 * m], ai = columnReal[2 * m + 1]
                let br = columnOut[2 * m], bi = columnOut[2 * m + 1]
                // Z[m] = (ar − bi) + i(ai + br)
                let band = bandOf[m * halfWidth + k]
                if band >= 0 {
                    let re = ar - bi, im = ai + br
                    out[Int(band)] += weight * (re * re + im * im).squareRoot()
                }
                // Z[height − m] = (ar + bi) + i(br − ai); m = 0 and m = height/2 are their own mirror.
                if m != 0 && m != halfHeight {
                    let mirror = bandOf[(height - m) * halfWidth + k]
                    if mirror >= 0 {
                        let re = ar + bi, im = br - ai
                        out[Int(mirror)] += weight * (re * re + im * im).squareRoot()
                    }
                }
            }
        }
        for b in 0..<bands { out[b] *= inverseCount[b] }
    }
}
