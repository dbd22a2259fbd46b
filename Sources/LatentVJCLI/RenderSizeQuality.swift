import Basics
import Foundation
import Imaging
import StyleGAN

/// What a smaller render size costs in picture: for a few random latents, the early-exit image at N
/// against the full model's image downscaled to N (box filter), as PSNR and SSIM; and a contact sheet.
final class RenderSizeQuality {
    static let latents = 4
    let full: Generator
    let resolution: Int
    let channels: Int
    /// Per latent: its ws (for the full model) and the full image, in [0, 1].
    private var ws: [[Float]] = []
    private(set) var fullImages: [[Float]] = []
    /// Per size compared: the early-exit images, for the contact sheet.
    private var columns: [(size: Int, images: [[Float]])] = []

    init(full weights: GeneratorWeights) throws {
        full = try Generator(weights: weights)
        resolution = full.architecture.imgResolution
        channels = full.architecture.imgChannels
        var rng = SeededRandom(seed: 11)
        for _ in 0..<Self.latents {
            let z = (0..<full.architecture.zDim).map { _ in Float(rng.normal()) }
            let w = full.map(z: z)
            ws.append(w)
            fullImages.append(Self.unit(full.synthesize(ws: w, noise: .const)))
        }
    }

    /// [-1, 1] → [0, 1], clamped as the picture is shown.
    static func unit(_ image: [Float]) -> [Float] { image.map { min(1, max(0, ($0 + 1) / 2)) } }

    /// Mean PSNR and SSIM of `stopped` (the model rendered at a smaller size) against the full images.
    func compare(_ stopped: Generator) -> (psnr: Double, ssim: Double) {
        let n = stopped.architecture.imgResolution
        guard n < resolution else { return (.infinity, 1) }
        var psnr = 0.0, ssim = 0.0, images = [[Float]]()
        for (w, reference) in zip(ws, fullImages) {
            let small = Self.unit(stopped.synthesize(ws: Array(w.prefix(stopped.numWs * stopped.architecture.wDim)), noise: .const))
            let target = ImageQuality.downscale(reference, channels: channels, size: resolution, factor: resolution / n)
            psnr += ImageQuality.psnr(small, target) / Double(ws.count)
            ssim += ImageQuality.ssim(small, target, channels: channels, size: n) / Double(ws.count)
            images.append(small)
        }
        columns.append((n, images))
        return (psnr, ssim)
    }

    /// Rows: the latents; columns: the full image, then each smaller size, every cell shown at the same
    /// size (nearest-neighbour, so the pixels of a small render stay visible), labelled on top.
    func writeContactSheet(to path: String) throws {
        let cell = min(256, max(128, resolution)), gap = 4, top = 16
        let all = [(resolution, fullImages)] + columns.sorted { $0.size > $1.size }
        var sheet = Raster(width: all.count * (cell + gap) + gap, height: top + Self.latents * (cell + gap) + gap, fill: Color(20, 20, 24))
        for (c, column) in all.enumerated() {
            let x0 = gap + c * (cell + gap)
            BitmapFont.draw(column.0 == resolution ? "FULL \(resolution)" : "\(column.0) PX", x: x0, y: 4, color: Color(230, 230, 235), scale: 1, into: &sheet)
            for (r, image) in column.1.enumerated() {
                let n = column.0, y0 = top + gap + r * (cell + gap)
                for y in 0..<cell { for x in 0..<cell {
                    let sx = x * n / cell, sy = y * n / cell
                    func v(_ ch: Int) -> UInt8 { UInt8((image[min(ch, channels - 1) * n * n + sy * n + sx] * 255).rounded()) }
                    sheet.blend(x0 + x, y0 + y, Color(v(0), v(1), v(2)))
                } }
            }
        }
        try PNGFile.write(sheet, to: path)
    }
}
