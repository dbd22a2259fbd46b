/// Least-squares line through evenly numbered events (clock ticks, taps): event i happened at
/// `times[i]`. The slope is the seconds between events, without the jitter of any single interval;
/// the fitted time of the newest event is where the phase is measured from.
struct EventLine {
    private var times: [Double]
    private var head = 0
    private(set) var count = 0

    init(capacity: Int) { times = [Double](repeating: 0, count: capacity) }

    var capacity: Int { times.count }

    mutating func add(_ t: Double) {
        times[head] = t
        head = (head + 1) % times.count
        count = min(count + 1, times.count)
    }

    mutating func removeAll() { count = 0; head = 0 }

    /// The newest event's time as recorded.
    var newest: Double? { count > 0 ? times[(head - 1 + times.count) % times.count] : nil }

    /// Seconds per event and the fitted time of the newest event; nil with fewer than two events.
    var fit: (interval: Double, newest: Double)? {
        guard count >= 2 else { return nil }
        let n = Double(count)
        let first = (head - count + times.count) % times.count
        // x = 0…n-1, y = time relative to the first event (keeps the sums small and exact).
        let origin = times[first]
        var sy = 0.0, sxy = 0.0
        for i in 0..<count {
            let y = times[(first + i) % times.count] - origin
            sy += y; sxy += Double(i) * y
        }
        let sx = n * (n - 1) / 2, sxx = (n - 1) * n * (2 * n - 1) / 6
        let slope = (n * sxy - sx * sy) / (n * sxx - sx * sx)
        let intercept = (sy - slope * sx) / n
        guard slope.isFinite, slope > 0 else { return nil }
        return (slope, origin + intercept + slope * (n - 1))
    }
}
