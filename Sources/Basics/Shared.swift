import Synchronization

/// A `Lock` that closures and threads can hold before (or without) its owner: `Lock` itself cannot
/// be copied or captured, so this class carries it.
public final class Shared<Value>: @unchecked Sendable {
    public let value: Lock<Value>
    public init(_ initial: sending Value) { value = Lock(initial) }
}
