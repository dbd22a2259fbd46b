import Foundation

/// Causal predominant local pulse: a running Fourier tempogram of the onset envelope over the last
/// ~7 s picks the dominant tempo in 60–180 BPM and its phase; a phase-locked oscillator follows them
/// and emits the pulse at the current instant (prediction, never look-ahead).
final class PulseTracker {
    let hopRate: Double            // onset envelope samples per second
    let history: Int               // onset values kept
    let fftSize: Int
    let tempoRange: ClosedRange<Double>
    private let onsets: UnsafeMutablePointer<Float>   // circular
    private var writeIndex = 0
    private var stored = 0
    private let window: UnsafeMutablePointer<Float>
    private let fft: RealFFT
    private let cosTable: UnsafeMutablePointer<Double>
    private let sinTable: UnsafeMutablePointer<Double>

    // Oscillator state.
    private(set) var bpm = 0.0
    private var phase = 0.0          // radians at `phaseTime`
    private var phaseTime = 0.0      // seconds
    private(set) var strength = 0.0  // 0…1, how clearly periodic the onsets are

    init(hopRate: Double, seconds: Double = 7, tempoRange: ClosedRange<Double> = 60...180) {
        self.hopRate = hopRate
        self.tempoRange = tempoRange
        history = max(64, Int(seconds * hopRate))
        var size = 1
        while size < 4 * history { size *= 2 }
        fftSize = size
        onsets = .allocate(capacity: history); onsets.initialize(repeating: 0, count: history)
        window = .allocate(capacity: history)
        let w = Window.hann(history)
        for i in 0..<history { window[i] = w[i] }
        fft = RealFFT(size: size)
        cosTable = .allocate(capacity: history); sinTable = .allocate(capacity: history)
        cosTable.initialize(repeating: 0, count: history); sinTable.initialize(repeating: 0, count: history)
    }

    deinit {
        onsets.deallocate(); window.deallocate(); cosTable.deallocate(); sinTable.deallocate()
    }

    func push(_ onset: Float) {
        onsets[writeIndex] = onset
        writeIndex = (writeIndex + 1) % history
        stored = min(stored + 1, history)
    }

    /// Re-estimates tempo and phase from the history; `now` is the time of the newest onset value.
    func update(now: Double) {
        guard stored >= history / 2 else { return }
        // Oldest first, windowed, zero-padded.
        var dc: Double = 0
        for n in 0..<history {
            let v = onsets[(writeIndex + n) % history] * window[n]
            fft.input[n] = v
            dc += Double(v)
        }
        for n in history..<fftSize { fft.input[n] = 0 }
        fft.execute()
        let binHz = hopRate / Double(fftSize)
        let lo = max(1, Int(ceil(tempoRange.lowerBound / 60 / binHz)))
        let hi = min(fftSize / 2 - 1, Int(floor(tempoRange.upperBound / 60 / binHz)))
        guard hi > lo + 1, dc > 1e-9 else { strength *= 0.8; return }
        var best = lo, bestMag = 0.0
        for b in lo...hi {
            let re = Double(fft.output[2 * b]), im = Double(fft.output[2 * b + 1])
            let m = re * re + im * im
            if m > bestMag { bestMag = m; best = b }
        }
        func mag(_ b: Int) -> Double {
            let re = Double(fft.output[2 * b]), im = Double(fft.output[2 * b + 1]); return (re * re + im * im).squareRoot()
        }
        var offset = 0.0
        if best > lo && best < hi {
            let a = mag(best - 1), m = mag(best), c = mag(best + 1)
            let denom = a - 2 * m + c
            if denom < 0 { offset = max(-0.5, min(0.5, 0.5 * (a - c) / denom)) }
        }
        let frequency = (Double(best) + offset) * binHz          // cycles per second
        let perHop = frequency / hopRate                          // cycles per onset sample
        // Phase at that exact frequency by a direct DFT, then carried forward to the newest sample.
        var re = 0.0, im = 0.0
        for n in 0..<history {
            let v = Double(onsets[(writeIndex + n) % history] * window[n])
            let angle = -2 * Double.pi * perHop * Double(n)
            re += v * cos(angle); im += v * sin(angle)
        }
        let measured = atan2(im, re) + 2 * Double.pi * perHop * Double(history - 1)
        let confidence = min(1, 2 * (re * re + im * im).squareRoot() / dc)
        strength += 0.3 * (confidence - strength)
        guard confidence > 0.15 else { return }   // too weak to trust: the oscillator runs free
        let measuredBPM = frequency * 60
        let predicted = phase(at: now)
        if bpm == 0 || abs(measuredBPM / bpm - 1) > 0.06 {
            bpm = measuredBPM                      // (re)lock
            phase = measured
        } else {
            bpm += 0.25 * (measuredBPM - bpm)
            phase = predicted + 0.3 * wrap(measured - predicted)
        }
        phaseTime = now
    }

    func phase(at t: Double) -> Double { phase + 2 * Double.pi * bpm / 60 * (t - phaseTime) }

    /// Pulse in [0, 1] and beat phase in [0, 1) at time `t` (beat at phase 0).
    func output(at t: Double) -> (pulse: Float, beatPhase: Float) {
        guard bpm > 0 else { return (0, 0) }
        let p = phase(at: t)
        var cycles = (p / (2 * Double.pi)).truncatingRemainder(dividingBy: 1)
        if cycles < 0 { cycles += 1 }
        return (Float(strength * max(0, cos(p))), Float(cycles))
    }

    private func wrap(_ x: Double) -> Double { atan2(sin(x), cos(x)) }
}

/// Causal drop strength: a slow average of RMS (time constant ~4 s) emphasised against the running
/// minimum, median and maximum of its last minute.
final class DropTracker {
    private let alpha: Float
    private var average: Float = 0
    private let history: UnsafeMutablePointer<Float>
    private let scratch: UnsafeMutablePointer<Float>
    private let capacity: Int
    private var stored = 0, writeIndex = 0
    private var framesUntilPush = 0
    private let pushEvery: Int

    init(fps: Double, timeConstant: Double = 4, historySeconds: Double = 64, historyStep: Double = 0.5) {
        alpha = Float(exp(-1 / (timeConstant * fps)))
        pushEvery = max(1, Int((historyStep * fps).rounded()))
        capacity = Int(historySeconds / historyStep)
        history = .allocate(capacity: capacity); history.initialize(repeating: 0, count: capacity)
        scratch = .allocate(capacity: capacity + 1); scratch.initialize(repeating: 0, count: capacity + 1)
    }

    deinit { history.deallocate(); scratch.deallocate() }

    func update(rms: Float) -> Float {
        average = alpha * average + (1 - alpha) * rms
        if framesUntilPush == 0 {
            history[writeIndex] = average
            writeIndex = (writeIndex + 1) % capacity
            stored = min(stored + 1, capacity)
            framesUntilPush = pushEvery
        }
        framesUntilPush -= 1
        var lo = average, hi = average
        for i in 0..<stored { scratch[i] = history[i]; lo = min(lo, history[i]); hi = max(hi, history[i]) }
        scratch[stored] = average
        guard hi - lo > 1e-9 else { return average }
        let range = hi - lo
        var median = Selection.median(scratch, count: stored + 1)
        median = (median - lo) / range
        let unit = (average - lo) / range
        let y = unit * (1 + tanhf(10 * (unit - median)))
        let yMax = 1 + tanhf(10 * (1 - median))
        return lo + range * y / yMax
    }
}

import Basics
