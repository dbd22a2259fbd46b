import Basics
import Features
import Foundation

extension VideoFeatureExtractor {
    /// Decodes a video file through ffmpeg and extracts its features, streaming: memory stays bounded
    /// by the rows, not the frames.
    ///
    /// - Parameter fps: resample the video to this rate first (to align rows with audio features);
    ///   nil keeps the video's own rate.
    public static func extract(path: String, maxShortSide: Int = 128, fps: Double? = nil,
                               ffmpeg: ExternalTool = ExternalTool("ffmpeg")) throws -> FeatureSet {
        let decoder = try VideoDecoder(path: path, maxShortSide: maxShortSide, fps: fps, ffmpeg: ffmpeg)
        let extractor = VideoFeatureExtractor(width: decoder.width, height: decoder.height, fps: decoder.fps,
                                              maxShortSide: max(4, maxShortSide))
        try decoder.forEachFrame { extractor.append(rgb24: $0) }
        return extractor.finish()
    }
}
