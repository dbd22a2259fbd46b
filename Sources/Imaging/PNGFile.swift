import Basics
import CPNG
import Foundation

/// PNG files through libpng's simplified API.
public enum PNGFile {
    public static func write(_ raster: Raster, to path: String) throws {
        var image = png_image()
        image.version = LVJ_PNG_IMAGE_VERSION
        image.width = UInt32(raster.width)
        image.height = UInt32(raster.height)
        image.format = LVJ_PNG_FORMAT_RGBA
        let ok = raster.pixels.withUnsafeBytes { bytes in
            png_image_write_to_file(&image, path, 0, bytes.baseAddress, Int32(raster.width * 4), nil)
        }
        defer { png_image_free(&image) }
        guard ok != 0 else { throw FileError(path, "could not be written as PNG (\(message(of: &image)))") }
    }

    public static func read(path: String) throws -> Raster {
        var image = png_image()
        image.version = LVJ_PNG_IMAGE_VERSION
        guard png_image_begin_read_from_file(&image, path) != 0 else {
            let m = message(of: &image)
            png_image_free(&image)
            throw FileError(path, "is not a readable PNG (\(m))")
        }
        image.format = LVJ_PNG_FORMAT_RGBA
        let width = Int(image.width), height = Int(image.height)
        guard width > 0, height > 0, width * height <= 64_000_000 else {
            png_image_free(&image)
            throw FileError(path, "has an unreasonable size \(width)×\(height)")
        }
        var pixels = [UInt8](repeating: 0, count: width * height * 4)
        let ok = pixels.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, Int32(width * 4), nil) }
        defer { png_image_free(&image) }
        guard ok != 0 else { throw FileError(path, "could not be decoded as PNG (\(message(of: &image)))") }
        return Raster(width: width, height: height, pixels: pixels)
    }

    public static var libraryVersion: String { String(cString: png_get_libpng_ver(nil)) }

    private static func message(of image: inout png_image) -> String {
        withUnsafeBytes(of: &image.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
