import Synchronization

/// The namespace every connection reads, replaceable while the server runs (another model has other
/// knobs): each replacement has a new version, and LISTEN streams tell their clients what changed with
/// PATH_ADDED and PATH_REMOVED.
final class NamespaceBox: Sendable {
    private let state: Mutex<(namespace: OSCQueryNamespace, version: Int)>

    init(_ namespace: OSCQueryNamespace) { state = Mutex((namespace, 0)) }

    var current: (namespace: OSCQueryNamespace, version: Int) { state.withLock { $0 } }

    func replace(with namespace: OSCQueryNamespace) { state.withLock { $0 = (namespace, $0.version + 1) } }
}
