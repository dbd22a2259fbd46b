import Synchronization

/// A `Mutex` that closures and threads can hold before (or without) its owner: `Mutex` itself cannot
/// be copied or captured, so this class carries it.
public final class Shared<Value>: @unchecked Sendable {
    public let value: Mutex<Value>
    public init(_ initial: sending Value) { value = Mutex(initial) }
}
