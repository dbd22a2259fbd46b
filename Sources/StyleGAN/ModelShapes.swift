/// The generator shapes a VJ is likely to bring, by the names stylegan2-ada-pytorch's train.py gives
/// them (`--cfg`): channel_base is fmaps · 32768, channel_max 512, an 8-layer mapping network. Used to
/// make randomly initialised generators of those shapes, to measure what they cost on this machine.
public enum ModelShape: String, CaseIterable, Sendable {
    case `default`
    case paper256
    case paper512
    case stylegan2_1024 = "stylegan2-1024"

    public var architecture: GeneratorArchitecture {
        switch self {
        case .default: return DefaultModel.architecture
        case .paper256: return GeneratorArchitecture(imgResolution: 256, channelBase: 16384, channelMax: 512, mappingLayers: 8)
        case .paper512: return GeneratorArchitecture(imgResolution: 512, channelBase: 32768, channelMax: 512, mappingLayers: 8)
        case .stylegan2_1024: return GeneratorArchitecture(imgResolution: 1024, channelBase: 32768, channelMax: 512, mappingLayers: 8)
        }
    }

    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
