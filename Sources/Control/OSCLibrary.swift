import CLiblo

/// liblo facts for `latentvj doctor`.
public enum OSCLibrary {
    public static var libraryVersion: String {
        var buffer = [CChar](repeating: 0, count: 64)
        lo_version(&buffer, Int32(buffer.count), nil, nil, nil, 0, nil, nil, nil)
        return String(cString: buffer)
    }
}
