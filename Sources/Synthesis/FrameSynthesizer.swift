/// Anything that drives the generator frame by frame: interpolation groups, the Randomizer, the
/// decoder fed by the envelope network or HiPPO. Offline rendering, the study and scoring use this one
/// protocol, so each synthesizer is written once.
public protocol FrameSynthesizer: AnyObject {
    /// Frames the synthesizer can produce.
    var frames: Int { get }
    /// Writes frame k's ws (numWs × wDim) and fills the generator's custom noise maps
    /// (`Generator.noiseMap(layer:)`), for rendering with `noise: .custom`.
    func frame(_ k: Int, ws: UnsafeMutablePointer<Float>)
}

extension InterpolationSequence: FrameSynthesizer {}
