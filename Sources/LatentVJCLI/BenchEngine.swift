import AudioIn
import Live
import ModelFiles
import StyleGAN
import Synthesis

/// The engine the live benchmarks measure: the shipped live envelope network, the chosen model, the
/// default decoder and a frame producer on `source` (the demo track unless given).
struct BenchEngine {
    let generator: Generator
    let fps: Double
    let producer: FrameProducer

    init(model: ModelOption, source: AudioSource? = nil) throws {
        let network = try EnvelopeModelFile.load(path: try ShippedFiles.locate("Presets/live.envelope"))
        generator = try Generator(weights: model.load())
        fps = network.fps
        let decoder = try DecoderSetup().makeDecoder(generator: generator, fps: fps)
        producer = try FrameProducer(source: source ?? FilePlayback(clip: DemoTrack.render(), loops: true), generator: generator,
                                     network: network, decoder: decoder, fps: fps, networkName: "live.envelope")
    }
}
