import Foundation

/// v4l2loopback needs a kernel module that a VJ loads once; without it, say exactly how.
enum V4L2Loopback {
    /// The pixel formats OBS and browsers take from a loopback webcam.
    enum Format: String { case yuyv, rgb24
        var gstreamer: String { self == .yuyv ? "YUY2" : "RGB" }
    }

    /// `/dev/videoN` (YUYV) or `/dev/videoN?format=rgb24`.
    static func parse(_ address: String) -> (device: String, format: Format) {
        let parts = address.split(separator: "?", maxSplits: 1).map(String.init)
        let format = parts.count > 1 ? Format(rawValue: parts[1].lowercased().replacingOccurrences(of: "format=", with: "")) : .yuyv
        return (parts[0], format ?? .yuyv)
    }

    static func check(device address: String, output: String, moduleFolder: String = "/sys/module/v4l2loopback") throws {
        let device = parse(address).device
        if FileManager.default.fileExists(atPath: device) { return }
        let number = device.drop { !$0.isNumber }
        let load = "sudo modprobe v4l2loopback video_nr=\(number.isEmpty ? "10" : String(number)) card_label=LatentVJ exclusive_caps=1"
        if FileManager.default.fileExists(atPath: moduleFolder) {
            throw OutputError(output, "\(device) does not exist, though v4l2loopback is loaded: reload it with the device number, `sudo modprobe -r v4l2loopback && \(load)`; the show goes on without this output")
        }
        throw OutputError(output, "\(device) does not exist and the v4l2loopback module is not loaded: `\(load)` (Debian: apt install v4l2loopback-dkms); the show goes on without this output")
    }
}
