import Features

/// The columns of a per-frame video feature row, in order (thesis Table 3.2 without the one feature that
/// needs the whole clip). The live correlator reads rows in this layout from `VideoFeatureExtractor.lastRow`.
public enum VideoLayout {
    public static let layout = ColumnLayout([
        ("rgb_histogram", 96), ("hsv_histogram", 96), ("visual_variance", 1),
        ("video_spectrogram", spectrogramBands), ("frequency_rms", 3),
        ("absolute_difference", 1), ("directogram", directions),
        ("video_spectral_onsets", 1), ("video_flow_onsets", 1),
    ])
    public static var columns: [(name: String, dims: Int)] { layout.columns }

    /// Computed in `finish()`: it picks bands by their variance over the whole clip.
    public static let adaptiveFrequencyRMS = "adaptive_frequency_rms"

    /// Every feature of `finish()`, in the order of the thesis table.
    public static let featureNames: [String] = [
        "rgb_histogram", "hsv_histogram", "visual_variance", "video_spectrogram", "frequency_rms",
        adaptiveFrequencyRMS, "absolute_difference", "directogram", "video_spectral_onsets", "video_flow_onsets",
    ]

    public static let spectrogramBands = 32
    public static let directions = 16
    /// Histogram bins per channel (RGB and HSV alike).
    public static let histogramBins = 32
    /// How many of the most varying spectrogram bands `adaptive_frequency_rms` uses.
    public static let adaptiveBands = 10

    public static let width = layout.width

    /// Offset of a named column within a row.
    public static func offset(of name: String) -> Int? { layout.offset(of: name) }

    static let rgbHistogram = offset(of: "rgb_histogram")!, hsvHistogram = offset(of: "hsv_histogram")!
    static let variance = offset(of: "visual_variance")!, spectrogram = offset(of: "video_spectrogram")!
    static let frequencyRMS = offset(of: "frequency_rms")!, difference = offset(of: "absolute_difference")!
    static let directogram = offset(of: "directogram")!
    static let spectralOnsets = offset(of: "video_spectral_onsets")!, flowOnsets = offset(of: "video_flow_onsets")!
}
