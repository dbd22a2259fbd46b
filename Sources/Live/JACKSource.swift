import AudioIn

/// The JACK inputs as the engine's audio: in_1 and in_2 mixed to mono. Reconnects (every 2 s, asked by
/// the engine) when the server goes away; meanwhile it delivers nothing and the picture goes on.
public final class JACKSource: AudioSource {
    public let input: JACKInput
    private let stereo: UnsafeMutablePointer<Float>
    private let capacity = 1 << 16
    private var lastAttempt = 0.0

    public init(connect pattern: String?) throws {
        input = try JACKInput()
        if let pattern { _ = try input.connect(pattern: pattern) }
        try input.activate()
        stereo = .allocate(capacity: 2 * capacity)
    }

    deinit { stereo.deallocate() }

    public var sampleRate: Double { Double(input.stats.sampleRate) }
    public var finished: Bool { false }

    public func read(into buffer: UnsafeMutablePointer<Float>, maxFrames: Int) -> Int {
        let n = input.read(into: stereo, maxFrames: min(maxFrames, capacity))
        for i in 0..<n { buffer[i] = 0.5 * (stereo[2 * i] + stereo[2 * i + 1]) }
        return n
    }

    /// Tries to reopen a lost server at most every 2 s (call from the main loop, not the frame producer).
    public func keepAlive(now: Double) {
        guard !input.isConnected, now - lastAttempt >= 2 else { return }
        lastAttempt = now
        JACKServer.silenceLibraryMessages()
        try? input.reconnect()
    }

    public var status: (text: String, warning: Bool) {
        input.isConnected ? ("JACK: \(input.clientName) connected, \(input.stats.xruns) xruns", false)
            : ("JACK server lost: drawing on silence, retrying", true)
    }
}
