import Foundation

/// Datagrams the kernel dropped for the UDP sockets bound to `port` (their receive buffer was full):
/// the `drops` column of /proc/net/udp and udp6. A flood the receiver could not keep up with loses
/// these before the program sees them; a test that counts what arrived adds them back.
public func udpDrops(port: Int) -> Int {
    var total = 0
    for table in ["/proc/net/udp", "/proc/net/udp6"] {
        guard let text = try? String(contentsOfFile: table, encoding: .utf8) else { continue }
        for line in text.split(separator: "\n").dropFirst() {
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ref pointer drops
            guard f.count >= 13, let colon = f[1].lastIndex(of: ":"), Int(f[1][f[1].index(after: colon)...], radix: 16) == port,
                  let drops = Int(f[f.count - 1]) else { continue }
            total += drops
        }
    }
    return total
}
