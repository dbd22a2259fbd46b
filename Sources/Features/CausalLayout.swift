/// The columns of a causal feature row, in order. The live engine, the GRU's input statistics and the
/// `features --causal` output all use this one layout.
public enum CausalLayout {
    public static let layout = ColumnLayout([
        ("onsets", 1), ("onsets_low", 1), ("onsets_mid", 1), ("onsets_high", 1),
        ("rms", 1), ("rms_low", 1), ("rms_mid", 1), ("rms_high", 1),
        ("chroma", 12), ("tonnetz", 6), ("mfcc", 20), ("spectral_contrast", 7), ("spectral_flatness", 1),
        ("pulse", 1), ("tempo", 1), ("beat_phase", 1), ("drop_strength", 1),
    ])
    public static var columns: [(name: String, dims: Int)] { layout.columns }

    public static let width = layout.width

    /// Offset of a named column within a row.
    public static func offset(of name: String) -> Int? { layout.offset(of: name) }

    static let onsets = offset(of: "onsets")!, onsetsLow = offset(of: "onsets_low")!
    static let onsetsMid = offset(of: "onsets_mid")!, onsetsHigh = offset(of: "onsets_high")!
    static let rms = offset(of: "rms")!, rmsLow = offset(of: "rms_low")!
    static let rmsMid = offset(of: "rms_mid")!, rmsHigh = offset(of: "rms_high")!
    static let chroma = offset(of: "chroma")!, tonnetz = offset(of: "tonnetz")!, mfcc = offset(of: "mfcc")!
    static let contrast = offset(of: "spectral_contrast")!, flatness = offset(of: "spectral_flatness")!
    static let pulse = offset(of: "pulse")!, tempo = offset(of: "tempo")!
    static let beatPhase = offset(of: "beat_phase")!, drop = offset(of: "drop_strength")!
}
