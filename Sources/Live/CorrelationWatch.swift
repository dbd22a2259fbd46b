import Basics
import Correlation
import Features
import Foundation
import Synchronization
import VideoFeatures

/// The HUD's rolling correlation (spec "Rolling correlation"): the display side hands over every frame it
/// shows with the feature row it was drawn from; the video features are computed here, and every few
/// frames a worker recomputes the balanced OP correlation over the last `seconds`.
public final class CorrelationWatch: @unchecked Sendable {
    private let video: VideoFeatureExtractor
    private let correlator: RollingCorrelator
    private let updateEvery: Int
    private var pushed = 0
    private let busy = Atomic<Bool>(false)
    private let latest = Lock<(value: Double?, history: [Double])>((nil, []))
    private let queue = DispatchQueue(label: "latentvj correlation", qos: .utility)

    public init(width: Int, height: Int, fps: Double, seconds: Double = 8, updateEvery: Int = 12) {
        video = VideoFeatureExtractor(width: width, height: height, fps: fps, keepsHistory: false)
        correlator = RollingCorrelator(window: Int(seconds * fps), audioBlocks: CausalLayout.layout.blocks, videoBlocks: VideoLayout.layout.blocks)
        self.updateEvery = updateEvery
    }

    /// A frame that was shown and the causal row it was drawn from (main thread).
    public func shown(rgb: UnsafePointer<UInt8>, row: UnsafePointer<Float>) {
        video.append(rgb24: UnsafeBufferPointer(start: rgb, count: video.width * video.height * 3))
        correlator.push(audio: row, video: video.lastRow.baseAddress!)
        pushed += 1
        guard pushed % updateEvery == 0, pushed >= 2 * updateEvery, !busy.exchange(true, ordering: .acquiringAndReleasing) else { return }
        queue.async { [self] in
            if let result = try? correlator.update() {
                latest.withLock { state in
                    state.value = result.concatenated
                    state.history.append(result.concatenated)
                    if state.history.count > 120 { state.history.removeFirst(state.history.count - 120) }
                }
            }
            busy.store(false, ordering: .releasing)
        }
    }

    /// True while an update computes (frames shown meanwhile skip the next one).
    public var isUpdating: Bool { busy.load(ordering: .acquiring) }

    /// The newest correlation and its recent history, for the HUD.
    public var reading: (value: Double?, history: [Double]) { latest.withLock { $0 } }
}
