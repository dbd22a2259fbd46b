import CAvahi
import Foundation

/// The engine advertised over mDNS/DNS-SD through the avahi daemon: `_oscjson._tcp` (OSCQuery, which
/// ossia score, Chataigne and VDMX browse for) and `_osc._udp` (the OSC port), under one name, so a
/// controller on the venue's network finds the engine without typing an address. Where no avahi
/// daemon runs (or no system D-Bus), it cannot start and says why; the show goes on without it.
///
/// The services are registered once the daemon says it runs, again after it restarts, and under
/// avahi's alternative name ("… #2") when another machine already has ours.
public final class MDNSAdvertiser: @unchecked Sendable {
    public struct Service: Sendable, Equatable {
        public let type: String, port: Int
        public init(type: String, port: Int) { self.type = type; self.port = port }
    }

    public let services: [Service]
    private let poll: OpaquePointer
    private let client: OpaquePointer
    private let state: Registration

    /// Registers `services` under `name`.
    public init(name: String, services: [Service]) throws {
        self.services = services
        guard let poll = avahi_threaded_poll_new() else { throw OSCQueryError("mDNS: avahi's event loop could not be made") }
        let state = Registration(name: name, services: services)
        var error: Int32 = 0
        // Connects over D-Bus at once (the loop is not running yet, so the first callbacks come now, on
        // this thread): no daemon is an error here.
        guard let client = avahi_client_new(avahi_threaded_poll_get(poll), AvahiClientFlags(0), clientChanged,
                                            Unmanaged.passUnretained(state).toOpaque(), &error) else {
            avahi_threaded_poll_free(poll)
            throw OSCQueryError("mDNS: no avahi daemon answers (\(String(cString: avahi_strerror(error)))): controllers find the engine by its address; "
                                + "to be found by name, run avahi-daemon (Debian's avahi-daemon package)")
        }
        if let problem = state.problem {
            if let g = state.group { avahi_entry_group_free(g) }
            avahi_client_free(client); avahi_threaded_poll_free(poll)
            throw OSCQueryError("mDNS: \(problem)")
        }
        self.poll = poll; self.client = client; self.state = state
        avahi_threaded_poll_start(poll)
    }

    deinit {
        // The loop stops first: the client and its group are freed from this thread only.
        avahi_threaded_poll_stop(poll)
        if let g = state.group { avahi_entry_group_free(g) }
        avahi_client_free(client)
        avahi_threaded_poll_free(poll)
    }

    /// The name the services go by now (avahi's alternative after a clash).
    public var name: String {
        avahi_threaded_poll_lock(poll); defer { avahi_threaded_poll_unlock(poll) }
        return state.name
    }

    /// The name an engine advertises: the host's, with the OSCQuery port (two engines on one machine differ).
    public static func defaultName(oscQueryPort: Int) -> String {
        "LatentVJ on \(ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "this machine") (\(oscQueryPort))"
    }
}

/// What avahi's callbacks work on, on its loop's thread (or in `init`, before the loop runs).
final class Registration {
    var name: String
    let services: [MDNSAdvertiser.Service]
    var group: OpaquePointer?
    /// Why registering failed in `init` (later failures leave the engine unadvertised, as a restarted
    /// daemon would, until the daemon runs again).
    var problem: String?

    init(name: String, services: [MDNSAdvertiser.Service]) { self.name = name; self.services = services }

    /// Adds and commits every service under the current name (the daemon runs).
    func register(_ client: OpaquePointer) {
        if group == nil { group = avahi_entry_group_new(client, groupChanged, Unmanaged.passUnretained(self).toOpaque()) }
        guard let group else { problem = "no entry group: \(String(cString: avahi_strerror(avahi_client_errno(client))))"; return }
        guard avahi_entry_group_is_empty(group) != 0 else { return }
        for s in services {
            let r = avahi_entry_group_add_service_strlst(group, AvahiIfIndex(AVAHI_IF_UNSPEC), AvahiProtocol(AVAHI_PROTO_UNSPEC), AvahiPublishFlags(0),
                                                         name, s.type, nil, nil, UInt16(s.port), nil)
            if r == AVAHI_ERR_COLLISION { return rename(client) }
            guard r == 0 else { problem = "\(s.type) on port \(s.port) was refused: \(String(cString: avahi_strerror(r)))"; return }
        }
        let r = avahi_entry_group_commit(group)
        if r != 0 { problem = "the services could not be committed: \(String(cString: avahi_strerror(r)))" }
    }

    /// Another machine has the name: avahi's next one ("… #2"), and register again.
    func rename(_ client: OpaquePointer) {
        if let next = avahi_alternative_service_name(name) { name = String(cString: next); avahi_free(next) }
        if let group { avahi_entry_group_reset(group) }
        register(client)
    }
}

private func clientChanged(_ client: OpaquePointer?, _ state: AvahiClientState, _ context: UnsafeMutableRawPointer?) {
    guard let client, let context else { return }
    let r = Unmanaged<Registration>.fromOpaque(context).takeUnretainedValue()
    switch state {
    case AVAHI_CLIENT_S_RUNNING: r.register(client)
    // The host's name clashed or the daemon is registering it again: ours go again once it runs.
    case AVAHI_CLIENT_S_COLLISION, AVAHI_CLIENT_S_REGISTERING: if let g = r.group { avahi_entry_group_reset(g) }
    default: break
    }
}

private func groupChanged(_ group: OpaquePointer?, _ state: AvahiEntryGroupState, _ context: UnsafeMutableRawPointer?) {
    guard let group, let context, state == AVAHI_ENTRY_GROUP_COLLISION, let client = avahi_entry_group_get_client(group) else { return }
    Unmanaged<Registration>.fromOpaque(context).takeUnretainedValue().rename(client)
}
