/// What the live engine needs from a generator, and nothing more: its architecture, the noise maps the
/// decoder writes before each frame, ws in and an image out, and a reloaded model's weights taken over
/// between frames. The CPU `Generator` is one backend; a GPU backend comes in behind the same surface
/// without the engine changing.
///
/// `synthesize` and `adoptWeights` run on the frame producer's thread and must not allocate after
/// warm-up; `noiseMap(layer:)` returns the same pointer every time (the decoder keeps writing into it).
public protocol GeneratorBackend: AnyObject {
    var architecture: GeneratorArchitecture { get }
    /// Names the model in the HUD, the log and the summary.
    var label: String { get }
    /// The default untrained model (labelled as such wherever it appears).
    var untrained: Bool { get }
    var numWs: Int { get }
    /// imgChannels × R × R.
    var imageCount: Int { get }
    /// The conv layers that take noise, in order, with their resolutions.
    var noiseLayers: [(name: String, resolution: Int)] { get }
    /// The buffer (resolution²) that `NoiseMode.custom` reads for conv layer `layer`.
    func noiseMap(layer: Int) -> UnsafeMutablePointer<Float>
    /// ws (numWs × wDim) → image (imgChannels × R × R, CHW, roughly [-1, 1]).
    func synthesize(ws: UnsafePointer<Float>, noise: NoiseMode, into image: UnsafeMutablePointer<Float>)
    /// Takes over the weights of a reloaded model of the same architecture (throws otherwise).
    func adoptWeights(of other: Generator) throws
}

extension Generator: GeneratorBackend {}
