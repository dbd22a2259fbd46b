import Basics
import CLiblo
import Foundation
import Synchronization

/// The engine's OSC server (liblo, UDP): parameters at `/lvj/<name with slashes>`, commands, the
/// self-documenting `/lvj/list`, `/lvj/query`, and `/lvj/subscribe` for tablets that want feedback.
///
/// liblo parses packets on its own thread and calls `dispatch`, which validates and then only writes
/// the lock-free `ParameterStore` or queues a command for the main loop: it never blocks the frame
/// producer. Anything wrong (type, arity, unknown address, NaN/inf, out of range, a sender outside the
/// allowed networks, a packet liblo cannot parse) is counted and logged at most once a second.
public final class OSCServer: @unchecked Sendable {
    /// What the main loop must do (things that touch files, the window or the recorder).
    public enum Command: Equatable, Sendable {
        case loadPreset(String), savePreset(String), morphPreset(String, seconds: Double?)
        case learn(parameter: Int)
        case reload(ReloadTarget)
    }

    public typealias ReloadTarget = Control.ReloadTarget
    public typealias Rejection = OSCCommand.Rejection

    public let store: ParameterStore
    public let port: Int
    /// The commands beside the parameters, by address (`OSCCommand.table`).
    public let commandTable: [OSCCommand]
    private let commandsByAddress: [String: OSCCommand]
    public let filter: NetworkFilter
    /// Custom addresses (a TouchOSC layout's `/1/fader1`, or `/3/xy` with two values) go here with every
    /// argument of the message: true if a mapping took it. Set from the main thread while liblo's thread
    /// already dispatches, so it is kept under a lock.
    public var mappedAddress: (@Sendable (String, [Double]) -> Bool)? {
        get { mapped.withLock { $0 } }
        set { mapped.withLock { $0 = newValue } }
    }
    private let mapped = Lock<(@Sendable (String, [Double]) -> Bool)?>(nil)
    private var thread: UnsafeMutableRawPointer?
    private let commands = Lock<[Command]>([])
    private let subscribers = Lock<[Subscriber]>([])
    private let counts: UnsafeMutablePointer<Atomic<Int>>
    private let accepted = Atomic<Int>(0)
    private let lastLog = Lock<(time: Double, reported: [Int])>((0, []))
    /// Where rate-limited problem lines go (stderr by default; tests capture it).
    public var log: @Sendable (String) -> Void = { FileHandle.standardError.write($0 + "\n") }

    struct Subscriber { let host: String; let port: Int; let address: UnsafeMutableRawPointer }

    /// Starts listening on `port` (0 picks a free one; `port` then tells which).
    public init(port: Int, store: ParameterStore, filter: NetworkFilter = .privateNetworks) throws {
        self.store = store
        self.filter = filter
        commandTable = OSCCommand.table(for: store.registry)
        commandsByAddress = Dictionary(commandTable.map { ($0.address, $0) }, uniquingKeysWith: { a, _ in a })
        counts = .allocate(capacity: Rejection.allCases.count)
        for i in 0..<Rejection.allCases.count { (counts + i).initialize(to: Atomic(0)) }
        guard let t = lo_server_thread_new_with_proto(port == 0 ? nil : String(port), LO_UDP, oscServerError) else {
            counts.deinitialize(count: Rejection.allCases.count); counts.deallocate()
            throw UsageError("cannot listen for OSC on UDP port \(port): it is probably in use (choose another with --osc-port)")
        }
        thread = t
        self.port = Int(lo_server_thread_get_port(t))
        lo_server_thread_add_method(t, nil, nil, oscHandler, Unmanaged.passUnretained(self).toOpaque())
        OSCServer.live.withLock { $0.append(Unmanaged.passUnretained(self).toOpaque()) }
        lo_server_thread_start(t)
    }

    deinit {
        stop()
        counts.deinitialize(count: Rejection.allCases.count); counts.deallocate()
    }

    /// Stops the server thread and frees liblo's handles.
    public func stop() {
        guard let t = thread else { return }
        lo_server_thread_stop(t)
        lo_server_thread_free(t)
        thread = nil
        let me = Unmanaged.passUnretained(self).toOpaque()
        OSCServer.live.withLock { $0.removeAll { $0 == me } }
        subscribers.withLock { list in for s in list { lo_address_free(s.address) }; list = [] }
    }

    // MARK: What the engine reads

    /// Commands received since the last call (main loop).
    public func takeCommands() -> [Command] { commands.withLock { c in defer { c = [] }; return c } }

    public func rejected(_ reason: Rejection) -> Int { counts[Rejection.allCases.firstIndex(of: reason)!].load(ordering: .relaxed) }
    public var totalRejected: Int { Rejection.allCases.reduce(0) { $0 + rejected($1) } }
    public var acceptedCount: Int { accepted.load(ordering: .relaxed) }
    /// Subscribers over UDP and listeners in this process (the web surface's clients): feedback is sent
    /// while there are any.
    public var subscriberCount: Int { subscribers.withLock { $0.count } + listeners.withLock { $0.count } }

    // MARK: Feedback

    /// Sends `address value` to every subscriber (feedback of changed values and status), and hands it
    /// to every listener.
    public func broadcast(_ address: String, _ values: [OSCValue]) {
        subscribers.withLock { list in for s in list { send(to: s.address, address, values) } }
        for l in listeners.withLock({ Array($0.values) }) { l(address, values) }
    }

    /// What a listener in this process is handed: each feedback message (main loop).
    public typealias Listener = @Sendable (String, [OSCValue]) -> Void
    private let listeners = Lock<[Int: Listener]>([:])
    private let nextListener = Atomic<Int>(0)

    /// Feedback to `listener` as to a UDP subscriber, until it is removed with the number returned.
    public func addListener(_ listener: @escaping Listener) -> Int {
        let id = nextListener.wrappingAdd(1, ordering: .relaxed).newValue
        listeners.withLock { $0[id] = listener }
        return id
    }

    public func removeListener(_ id: Int) { listeners.withLock { $0[id] = nil } }

    /// One OSC message as the bytes of a datagram from `host` over another transport (the web
    /// surface's WebSocket): dispatched as if it came over UDP, with no reply address. Bytes that are
    /// not an OSC message are counted as malformed.
    public func handleDatagram(_ bytes: UnsafeRawBufferPointer, host: String) {
        guard filter.allows(host) else { return reject(.refusedSender, "(datagram)", from: host) }
        guard let (path, arguments) = OSCMessage.parse(bytes) else { return reject(.malformed, "(datagram)", from: host) }
        dispatch(path: path, arguments: arguments, source: nil, host: host)
    }

    private func send(to target: UnsafeMutableRawPointer, _ path: String, _ values: [OSCValue]) {
        guard let t = thread, let message = OSCMessage.make(values) else { return }
        defer { lo_message_free(message) }
        lo_send_message_from(target, lo_server_thread_get_server(t), path, message)
    }

    // MARK: Dispatch (liblo's thread)

    /// A message as liblo hands it over, from `host`, with no reply address (fuzzing and tests use this
    /// entry; the network path adds the sender's address for replies).
    public func handleParsed(path: String, arguments: [OSCValue], host: String) {
        dispatch(path: path, arguments: arguments, source: nil, host: host)
    }

    fileprivate func dispatch(path: String, arguments: [OSCValue], source: UnsafeMutableRawPointer?, host knownHost: String? = nil) {
        let host = knownHost ?? source.flatMap { lo_address_get_hostname($0) }.map { String(cString: $0) } ?? ""
        guard filter.allows(host) else { return reject(.refusedSender, path, from: host) }
        let reply = { (p: String, v: [OSCValue]) in if let source { self.send(to: source, p, v) } }

        if let index = store.registry.index(ofOSC: path) { return setParameter(index, arguments, path: path) }
        // A doubled or trailing slash names the same command (`/lvj//learn`, `/lvj/learn/`).
        if let command = commandsByAddress[path] ?? commandsByAddress["/" + path.split(separator: "/").joined(separator: "/")] {
            switch command.parse(arguments, registry: store.registry) {
            case .success(let values): return perform(command.action, values, path: path, source: source, host: host, reply: reply)
            case .failure(let reason): return reject(reason, path, from: host)
            }
        }
        // Every argument must be a finite number (an XY pad sends two; the mapping's `arg:` picks one).
        let values = arguments.compactMap { $0.number() }
        if !values.isEmpty, values.count == arguments.count, values.allSatisfy(\.isFinite), mappedAddress?(path, values) == true {
            return count()
        }
        reject(.unknownAddress, path, from: host)
    }

    /// A command whose arguments are valid (`values` as its table entry lists them).
    private func perform(_ action: OSCCommand.Action, _ values: [OSCCommand.Value], path: String, source: UnsafeMutableRawPointer?, host: String,
                         reply: (String, [OSCValue]) -> Void) {
        func text(_ k: Int) -> String { if case .text(let t) = values[k] { t } else { "" } }
        func number(_ k: Int) -> Double? { if case .number(let n) = values[k] { n } else { nil } }
        func parameter(_ k: Int) -> Int { if case .parameter(let i) = values[k] { i } else { 0 } }
        func queue(_ c: Command) { commands.withLock { $0.append(c) } }
        switch action {
        case .loadPreset: queue(.loadPreset(text(0)))
        case .savePreset: queue(.savePreset(text(0)))
        case .morphPreset: queue(.morphPreset(text(0), seconds: number(1)))
        case .learn: queue(.learn(parameter: parameter(0)))
        case .reload: queue(.reload(ReloadTarget(rawValue: text(0)) ?? .all))
        case .recordStart, .recordStop:
            guard let i = store.registry.index(of: "record") else { return reject(.unknownAddress, path, from: host) }
            store.set(i, action == .recordStart ? 1 : 0)
        case .fire(let i): store.set(i, 1)
        case .list:
            for (i, p) in store.registry.parameters.enumerated() {
                reply("/lvj/param", [.text(p.name), .text(p.typeName), .number(p.minimum), .number(p.maximum), .number(p.defaultValue),
                                     .number(store.value(i)), .text(p.oscAddress)])
            }
            reply("/lvj/list/end", [.number(Double(store.registry.count))])
        case .query:
            let i = parameter(0)
            reply(store.registry[i].oscAddress, [.number(store.value(i))])
        case .subscribe, .unsubscribe:
            let sourcePort = source.flatMap { lo_address_get_port($0) }.flatMap { Int(String(cString: $0)) }
            guard let port = number(0).map(Int.init) ?? sourcePort else { return reject(.outOfRange, path, from: host) }
            if action == .subscribe { subscribe(host: host, port: port) } else { unsubscribe(host: host, port: port) }
        }
        count()
    }

    private func setParameter(_ index: Int, _ arguments: [OSCValue], path: String) {
        let p = store.registry[index]
        if p.kind == .trigger {
            guard arguments.count <= 1 else { return reject(.wrongArity, path) }
            store.set(index, 1); return count()
        }
        guard arguments.count == 1 else { return reject(.wrongArity, path) }
        guard let v = arguments[0].number(choices: p.options) else { return reject(.wrongType, path) }
        guard v.isFinite else { return reject(.notFinite, path) }
        guard v >= p.minimum && v <= p.maximum else { return reject(.outOfRange, path) }
        store.set(index, v)
        count()
    }

    private func subscribe(host: String, port: Int) {
        subscribers.withLock { list in
            guard !list.contains(where: { $0.host == host && $0.port == port }), list.count < 32,
                  let address = lo_address_new(host, String(port)) else { return }
            list.append(Subscriber(host: host, port: port, address: address))
        }
    }

    private func unsubscribe(host: String, port: Int) {
        subscribers.withLock { list in
            for s in list where s.host == host && s.port == port { lo_address_free(s.address) }
            list.removeAll { $0.host == host && $0.port == port }
        }
    }

    private func count() { accepted.wrappingAdd(1, ordering: .relaxed) }

    fileprivate func reject(_ reason: Rejection, _ path: String, from host: String = "") {
        let i = Rejection.allCases.firstIndex(of: reason)!
        counts[i].wrappingAdd(1, ordering: .relaxed)
        // Rate limit: one line a second at most, with the counts since the last line.
        let now = Date().timeIntervalSince1970
        let line: String? = lastLog.withLock { state in
            guard now - state.time >= 1 else { return nil }
            let totals = Rejection.allCases.map { rejected($0) }
            let previous = state.reported.isEmpty ? [Int](repeating: 0, count: totals.count) : state.reported
            state = (now, totals)
            let summary = zip(Rejection.allCases, zip(totals, previous)).filter { $0.1.0 > $0.1.1 }
                .map { "\($0.1.0 - $0.1.1) \($0.0.rawValue)" }.joined(separator: ", ")
            return "OSC: ignored \(path.prefix(64))\(host.isEmpty ? "" : " from \(host)") (\(reason.rawValue)); since the last report: \(summary)"
        }
        if let line { log(line) }
    }

    // liblo's error handler has no context pointer: problems go to every live server.
    static let live = Lock<[UnsafeMutableRawPointer]>([])
    fileprivate static func malformed() {
        live.withLock { servers in
            for s in servers { Unmanaged<OSCServer>.fromOpaque(s).takeUnretainedValue().reject(.malformed, "(packet)") }
        }
    }
}

private func oscServerError(_ number: Int32, _ message: UnsafePointer<CChar>?, _ path: UnsafePointer<CChar>?) {
    OSCServer.malformed()
}

private func oscHandler(_ path: UnsafePointer<CChar>?, _ types: UnsafePointer<CChar>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<lo_arg>?>?,
                        _ argc: Int32, _ message: lo_message?, _ user: UnsafeMutableRawPointer?) -> Int32 {
    guard let user, let path else { return 0 }
    let server = Unmanaged<OSCServer>.fromOpaque(user).takeUnretainedValue()
    let arguments = OSCMessage.arguments(types: types, argv: argv, count: argc)
    server.dispatch(path: String(cString: path), arguments: arguments, source: message.flatMap { lo_message_get_source($0) })
    return 0
}
