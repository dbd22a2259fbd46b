/// A fixed-size float buffer owned by one layer or by the generator's scratch space: allocated once,
/// reused every frame, freed with its owner.
final class FloatBuffer {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(1, count))
        pointer.initialize(repeating: 0, count: max(1, count))
    }

    convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: values.count) }
    }

    deinit { pointer.deallocate() }

    /// Overwrites every value with `other`'s (same count): allocation-free.
    func copy(from other: FloatBuffer) {
        precondition(other.count == count)
        pointer.update(from: other.pointer, count: count)
    }

    subscript(i: Int) -> Float {
        get { pointer[i] }
        set { pointer[i] = newValue }
    }
}
