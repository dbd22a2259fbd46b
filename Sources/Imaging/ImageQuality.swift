import Foundation

/// How close one picture is to another: PSNR and SSIM over float images in [0, 1], planar (CHW), as the
/// render-size quality table reports them. SSIM is Wang et al. (2004) with a 7×7 uniform window over
/// the valid positions, sample covariances, K1 = 0.01, K2 = 0.03 (scikit-image's defaults), averaged
/// over windows and channels.
public enum ImageQuality {
    /// Peak signal-to-noise ratio in dB (peak 1); infinity for identical images.
    public static func psnr(_ a: [Float], _ b: [Float]) -> Double {
        precondition(a.count == b.count && !a.isEmpty)
        var sum = 0.0
        for i in a.indices { let d = Double(a[i]) - Double(b[i]); sum += d * d }
        let mse = sum / Double(a.count)
        return mse == 0 ? .infinity : 10 * log10(1 / mse)
    }

    public static let window = 7

    /// Mean structural similarity of two `channels` × `size` × `size` images (size ≥ 7).
    public static func ssim(_ a: [Float], _ b: [Float], channels: Int, size: Int) -> Double {
        precondition(a.count == channels * size * size && b.count == a.count && size >= window)
        let c1 = 0.01 * 0.01, c2 = 0.03 * 0.03
        let n = Double(window * window), positions = size - window + 1
        var total = 0.0
        for c in 0..<channels {
            let plane = c * size * size
            for y in 0..<positions {
                for x in 0..<positions {
                    var sa = 0.0, sb = 0.0, saa = 0.0, sbb = 0.0, sab = 0.0
                    for dy in 0..<window {
                        let row = plane + (y + dy) * size + x
                        for dx in 0..<window {
                            let p = Double(a[row + dx]), q = Double(b[row + dx])
                            sa += p; sb += q; saa += p * p; sbb += q * q; sab += p * q
                        }
                    }
                    let ma = sa / n, mb = sb / n
                    let va = (saa - n * ma * ma) / (n - 1), vb = (sbb - n * mb * mb) / (n - 1)
                    let cov = (sab - n * ma * mb) / (n - 1)
                    total += ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2))
                }
            }
        }
        return total / Double(channels * positions * positions)
    }

    /// Box (area-average) down-scaling of a planar image by an integer `factor`: each output pixel is the
    /// mean of the factor × factor pixels it covers.
    public static func downscale(_ image: [Float], channels: Int, size: Int, factor: Int) -> [Float] {
        precondition(factor >= 1 && size % factor == 0 && image.count == channels * size * size)
        let out = size / factor, scale = 1 / Float(factor * factor)
        var result = [Float](repeating: 0, count: channels * out * out)
        for c in 0..<channels {
            for y in 0..<out {
                for x in 0..<out {
                    var s: Float = 0
                    for dy in 0..<factor { for dx in 0..<factor { s += image[c * size * size + (y * factor + dy) * size + x * factor + dx] } }
                    result[c * out * out + y * out + x] = s * scale
                }
            }
        }
        return result
    }
}
