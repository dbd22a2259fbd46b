import Imaging
import TestSupport
import XCTest

/// PSNR and SSIM against values worked out by hand from their definitions.
final class ImageQualityTests: TimeLimitedTestCase {
    func testPSNROfAConstantErrorAndOfTheSameImage() {
        let a = (0..<300).map { Float($0 % 17) / 20 }
        XCTAssertEqual(ImageQuality.psnr(a, a.map { $0 + 0.1 }), 20, accuracy: 1e-4, "mse 0.01 → 20 dB")
        XCTAssertEqual(ImageQuality.psnr(a, a), .infinity)
    }

    func testSSIMOfIdenticalConstantAndInvertedImages() {
        let size = 9
        let a = (0..<(size * size)).map { Float(($0 * 7) % 11) / 11 }
        XCTAssertEqual(ImageQuality.ssim(a, a, channels: 1, size: size), 1, accuracy: 1e-12)
        // Two flat images: no variance, only the luminance term (2·μa·μb + C1) / (μa² + μb² + C1).
        let flatA = [Float](repeating: 0.3, count: size * size), flatB = [Float](repeating: 0.5, count: size * size)
        let c1 = 1e-4, ma = Double(Float(0.3)), mb = Double(Float(0.5))
        XCTAssertEqual(ImageQuality.ssim(flatA, flatB, channels: 1, size: size), (2 * ma * mb + c1) / (ma * ma + mb * mb + c1), accuracy: 1e-9)
        // 1 − a has a's variance and the opposite covariance: structure is negative.
        XCTAssertLessThan(ImageQuality.ssim(a, a.map { 1 - $0 }, channels: 1, size: size), -0.5)
    }

    func testBoxDownscaleAveragesEachBlock() {
        // 2 channels of 4×4 → 2×2: each output pixel the mean of its 2×2 block.
        let image = (0..<32).map { Float($0) }
        let small = ImageQuality.downscale(image, channels: 2, size: 4, factor: 2)
        XCTAssertEqual(small, [2.5, 4.5, 10.5, 12.5, 18.5, 20.5, 26.5, 28.5])
    }
}
