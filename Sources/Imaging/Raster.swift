/// An 8-bit RGBA image in memory: plots, HUD overlays, screenshots, rendered frames.
public struct Raster: Equatable {
    public let width: Int
    public let height: Int
    /// Row-major RGBA bytes.
    public var pixels: [UInt8]

    public init(width: Int, height: Int, fill: Color = .black) {
        self.width = width; self.height = height
        pixels = [UInt8](repeating: 0, count: width * height * 4)
        for i in 0..<(width * height) {
            pixels[4 * i] = fill.r; pixels[4 * i + 1] = fill.g; pixels[4 * i + 2] = fill.b; pixels[4 * i + 3] = fill.a
        }
    }

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * 4)
        self.width = width; self.height = height; self.pixels = pixels
    }

    public func pixel(_ x: Int, _ y: Int) -> Color {
        let i = 4 * (y * width + x)
        return Color(pixels[i], pixels[i + 1], pixels[i + 2], pixels[i + 3])
    }

    /// Draws a colour over a pixel, alpha-blended; outside the image nothing happens.
    public mutating func blend(_ x: Int, _ y: Int, _ c: Color) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        let i = 4 * (y * width + x)
        let a = Int(c.a)
        pixels[i] = UInt8((Int(c.r) * a + Int(pixels[i]) * (255 - a)) / 255)
        pixels[i + 1] = UInt8((Int(c.g) * a + Int(pixels[i + 1]) * (255 - a)) / 255)
        pixels[i + 2] = UInt8((Int(c.b) * a + Int(pixels[i + 2]) * (255 - a)) / 255)
        pixels[i + 3] = max(pixels[i + 3], c.a)
    }

    public mutating func fill(x: Int, y: Int, width w: Int, height h: Int, _ c: Color) {
        let x0 = max(0, x), x1 = min(width, x + w), y0 = max(0, y), y1 = min(height, y + h)
        guard x1 > x0, y1 > y0 else { return }   // entirely outside (e.g. text running off the edge)
        for yy in y0..<y1 { for xx in x0..<x1 { blend(xx, yy, c) } }
    }

    /// A straight line (Bresenham).
    public mutating func line(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, _ c: Color) {
        var x = x0, y = y0
        let dx = abs(x1 - x0), dy = -abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1
        var err = dx + dy
        while true {
            blend(x, y, c)
            if x == x1 && y == y1 { break }
            let e2 = 2 * err
            if e2 >= dy { err += dy; x += sx }
            if e2 <= dx { err += dx; y += sy }
        }
    }

    /// Mean brightness (0–255) of a region: what screenshot tests compare.
    public func meanLuma(x: Int = 0, y: Int = 0, width w: Int? = nil, height h: Int? = nil) -> Double {
        let w = w ?? width, h = h ?? height
        var sum = 0.0
        for yy in y..<(y + h) { for xx in x..<(x + w) { let p = pixel(xx, yy); sum += 0.299 * Double(p.r) + 0.587 * Double(p.g) + 0.114 * Double(p.b) } }
        return sum / Double(max(1, w * h))
    }
}

public struct Color: Equatable, Sendable {
    public var r: UInt8, g: UInt8, b: UInt8, a: UInt8
    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8, _ a: UInt8 = 255) { self.r = r; self.g = g; self.b = b; self.a = a }
    public static let black = Color(0, 0, 0), white = Color(255, 255, 255)
    public static let grey = Color(128, 128, 128), background = Color(18, 18, 24)

    public func with(alpha: UInt8) -> Color { Color(r, g, b, alpha) }

    /// Viridis-like colour map for t in [0, 1].
    public static func map(_ t: Float) -> Color {
        let stops: [(Float, Float, Float)] = [(68, 1, 84), (72, 40, 120), (62, 73, 137), (49, 104, 142), (38, 130, 142),
                                              (31, 158, 137), (53, 183, 121), (110, 206, 88), (181, 222, 43), (253, 231, 37)]
        let x = max(0, min(1, t.isFinite ? t : 0)) * Float(stops.count - 1)
        let i = min(stops.count - 2, Int(x)), f = x - Float(i)
        let a = stops[i], b = stops[i + 1]
        return Color(UInt8(a.0 + (b.0 - a.0) * f), UInt8(a.1 + (b.1 - a.1) * f), UInt8(a.2 + (b.2 - a.2) * f))
    }

    /// Distinct colours for categorical data (segment labels).
    public static func category(_ i: Int) -> Color {
        let palette = [Color(230, 25, 75), Color(60, 180, 75), Color(255, 225, 25), Color(0, 130, 200), Color(245, 130, 48),
                       Color(145, 30, 180), Color(70, 240, 240), Color(240, 50, 230), Color(210, 245, 60), Color(250, 190, 212),
                       Color(0, 128, 128), Color(220, 190, 255), Color(170, 110, 40), Color(255, 250, 200), Color(128, 0, 0),
                       Color(170, 255, 195)]
        return palette[((i % palette.count) + palette.count) % palette.count]
    }
}
