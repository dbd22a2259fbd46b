import CAvahi
import Foundation

/// The engine advertised over mDNS/DNS-SD through the avahi daemon: `_oscjson._tcp` (OSCQuery, which
/// ossia score, Chataigne and VDMX browse for) and `_osc._udp` (the OSC port), under one name, so a
/// controller on the venue's network finds the engine without typing an address. Where no avahi
/// daemon runs (or no system D-Bus), it cannot start and says why; the show goes on without it.
public final class MDNSAdvertiser: @unchecked Sendable {
    public struct Service: Sendable, Equatable {
        public let type: String, port: Int
        public init(type: String, port: Int) { self.type = type; self.port = port }
    }

    public let name: String
    public let services: [Service]
    private let poll: OpaquePointer
    private let client: OpaquePointer
    private let group: OpaquePointer

    /// Registers `services` under `name` (the daemon renames on a clash; `name` is what was asked).
    public init(name: String, services: [Service]) throws {
        self.name = name; self.services = services
        guard let poll = avahi_threaded_poll_new() else { throw OSCQueryError("mDNS: avahi's event loop could not be made") }
        var error: Int32 = 0
        // Connects over D-Bus at once (the loop is not running yet): no daemon is an error here.
        guard let client = avahi_client_new(avahi_threaded_poll_get(poll), AvahiClientFlags(0), { _, _, _ in }, nil, &error) else {
            avahi_threaded_poll_free(poll)
            throw OSCQueryError("mDNS: no avahi daemon answers (\(String(cString: avahi_strerror(error)))): controllers find the engine by its address; "
                                + "to be found by name, run avahi-daemon (Debian's avahi-daemon package)")
        }
        func fail(_ what: String) -> OSCQueryError {
            let why = String(cString: avahi_strerror(avahi_client_errno(client)))
            avahi_client_free(client); avahi_threaded_poll_free(poll)
            return OSCQueryError("mDNS: \(what): \(why)")
        }
        guard let group = avahi_entry_group_new(client, { _, _, _ in }, nil) else { throw fail("no entry group") }
        for s in services {
            let r = avahi_entry_group_add_service_strlst(group, AvahiIfIndex(AVAHI_IF_UNSPEC), AvahiProtocol(AVAHI_PROTO_UNSPEC), AvahiPublishFlags(0), name, s.type,
                                                         nil, nil, UInt16(s.port), nil)
            guard r == 0 else { throw fail("\(s.type) on port \(s.port) was refused") }
        }
        guard avahi_entry_group_commit(group) == 0 else { throw fail("the services could not be committed") }
        self.poll = poll; self.client = client; self.group = group
        avahi_threaded_poll_start(poll)
    }

    deinit {
        // The loop stops first: the client and its group are freed from this thread only.
        avahi_threaded_poll_stop(poll)
        avahi_entry_group_free(group)
        avahi_client_free(client)
        avahi_threaded_poll_free(poll)
    }

    /// The name an engine advertises: the host's, with the OSCQuery port (two engines on one machine differ).
    public static func defaultName(oscQueryPort: Int) -> String {
        "LatentVJ on \(ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "this machine") (\(oscQueryPort))"
    }
}
