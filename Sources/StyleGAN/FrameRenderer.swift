/// The render step, written once for every path that paints frames (the live producer, `render`, the
/// studies, `bench render`): the ws a synthesizer or the decoder wrote (with the custom noise maps it
/// wrote into the backend) → the generator → 8-bit RGB. Every buffer is allocated here; `render`
/// allocates nothing, so the live frame loop runs it.
public final class FrameRenderer {
    public let backend: GeneratorBackend
    public let resolution: Int
    /// numWs × wDim: where a synthesizer or the decoder writes the frame's ws.
    public let ws: UnsafeMutablePointer<Float>
    /// R × R × 3 bytes: the last frame rendered into the renderer's own buffer.
    public let rgb: UnsafeMutablePointer<UInt8>
    private let image: UnsafeMutablePointer<Float>

    public init(backend: GeneratorBackend) {
        self.backend = backend
        resolution = backend.architecture.imgResolution
        ws = .allocate(capacity: backend.numWs * backend.architecture.wDim)
        ws.initialize(repeating: 0, count: backend.numWs * backend.architecture.wDim)
        image = .allocate(capacity: backend.imageCount)
        image.initialize(repeating: 0, count: backend.imageCount)
        rgb = .allocate(capacity: resolution * resolution * 3)
        rgb.initialize(repeating: 0, count: resolution * resolution * 3)
    }

    deinit { ws.deallocate(); image.deallocate(); rgb.deallocate() }

    public var byteCount: Int { resolution * resolution * 3 }
    public var rgbBuffer: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: rgb, count: byteCount) }

    /// Paints `ws` into `destination` (R × R × 3 bytes; the renderer's own `rgb` by default).
    public func render(noise: NoiseMode = .custom, into destination: UnsafeMutablePointer<UInt8>? = nil) {
        backend.synthesize(ws: ws, noise: noise, into: image)
        repaint(into: destination)
    }

    /// The last image again, without rendering (a frozen picture into a fresh display buffer).
    public func repaint(into destination: UnsafeMutablePointer<UInt8>? = nil) {
        ImageConversion.rgb24(image, channels: backend.architecture.imgChannels, size: resolution, into: destination ?? rgb)
    }

    /// A black frame (blackout).
    public func black(into destination: UnsafeMutablePointer<UInt8>? = nil) { (destination ?? rgb).update(repeating: 0, count: byteCount) }
}
