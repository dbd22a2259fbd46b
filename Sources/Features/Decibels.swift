import Foundation

/// Power to decibels as librosa's `power_to_db(ref=1, amin=1e-10, top_db=80)`.
public enum Decibels {
    public static let amin: Float = 1e-10

    @inline(__always)
    public static func db(_ power: Float) -> Float { 10 * log10f(max(amin, power)) }

    /// In place over a whole array, with the top_db floor taken from the array's global maximum
    /// (the offline behaviour: a quiet intro is measured against the loudest moment of the song).
    public static func powerToDB(_ values: inout [Float], topDB: Float? = 80) {
        var peak = -Float.infinity
        for i in values.indices {
            values[i] = db(values[i])
            peak = max(peak, values[i])
        }
        if let topDB {
            let floor = peak - topDB
            for i in values.indices where values[i] < floor { values[i] = floor }
        }
    }

    /// In place over one frame, with the floor taken from that frame alone (the causal behaviour).
    @inline(__always)
    public static func powerToDB(_ p: UnsafeMutablePointer<Float>, count: Int, topDB: Float = 80) {
        var peak = -Float.infinity
        for i in 0..<count { p[i] = db(p[i]); peak = max(peak, p[i]) }
        let floor = peak - topDB
        for i in 0..<count where p[i] < floor { p[i] = floor }
    }
}
