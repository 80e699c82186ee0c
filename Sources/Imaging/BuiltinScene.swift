// The builtin provider's picture as data: palette, background gradient and shapes, from a seed.
import Codecs
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A colour with components in 0…1.
struct RGB: Equatable {
    var r, g, b: Double

    /// Hue in degrees (any value, wrapped), saturation and lightness in 0…1.
    static func hsl(_ hue: Double, _ saturation: Double, _ lightness: Double) -> RGB {
        let h = (hue.truncatingRemainder(dividingBy: 360) + 360).truncatingRemainder(dividingBy: 360) / 60
        let chroma = (1 - abs(2 * lightness - 1)) * saturation
        let x = chroma * (1 - abs(h.truncatingRemainder(dividingBy: 2) - 1))
        let (r, g, b): (Double, Double, Double)
        switch Int(h) {
        case 0: (r, g, b) = (chroma, x, 0)
        case 1: (r, g, b) = (x, chroma, 0)
        case 2: (r, g, b) = (0, chroma, x)
        case 3: (r, g, b) = (0, x, chroma)
        case 4: (r, g, b) = (x, 0, chroma)
        default: (r, g, b) = (chroma, 0, x)
        }
        let m = lightness - chroma / 2
        return RGB(r: r + m, g: g + m, b: b + m)
    }

    func mixed(with other: RGB, _ t: Double) -> RGB {
        RGB(r: r + (other.r - r) * t, g: g + (other.g - g) * t, b: b + (other.b - b) * t)
    }

    /// `#rrggbb`, the form MagickWand's PixelSetColor parses.
    var hex: String {
        "#" + Hex.encode([r, g, b].map { UInt8((min(max($0, 0), 1) * 255).rounded()) })
    }
}

/// Everything the builtin provider draws, decided up front from the request so that drawing is
/// a pure function of it. Positions are fractions of the width/height and sizes fractions of the
/// shorter side, so one prompt and seed give the same composition at every size.
struct BuiltinScene {
    enum Shape {
        case circle(x: Double, y: Double, radius: Double)
        case ring(x: Double, y: Double, radius: Double, lineWidth: Double)
        /// A straight stripe through (x, y) across the whole picture.
        case band(x: Double, y: Double, angle: Double, thickness: Double)
        /// An irregular polygon: one radius per vertex, evenly spaced angles from `rotation`.
        case polygon(x: Double, y: Double, radii: [Double], rotation: Double)
    }

    struct Layer {
        let shape: Shape
        let color: RGB
        let opacity: Double
    }

    /// Three gradient stops from one edge to the opposite one.
    let stops: [RGB]
    /// Gradient direction in radians.
    let angle: Double
    let glow: (x: Double, y: Double, radius: Double, color: RGB, strength: Double)
    let layers: [Layer]

    init(prompt: String, negativePrompt: String, seed: UInt32) {
        let seedBytes = (0..<4).map { UInt8(truncatingIfNeeded: seed >> ($0 * 8)) }
        // The version tag lets a future drawing algorithm change every picture on purpose.
        var random = DeterministicRandom(hashing: [
            Array("pictor-builtin-v1".utf8), Array(prompt.utf8), Array(negativePrompt.utf8), seedBytes,
        ])

        // Colour harmony: hues at fixed offsets from a base hue look designed, not random.
        let base = random.uniform(0, 360)
        let offsets = random.pick([[0.0, 30, -30], [0.0, 180, 30], [0.0, 120, 240], [0.0, 150, 210], [0.0, 15, 190]])
        let saturation = random.uniform(0.45, 0.9)
        let hues = offsets.map { base + $0 }
        var stops = [
            RGB.hsl(hues[0], saturation, random.uniform(0.08, 0.28)),
            RGB.hsl(hues[1], saturation, random.uniform(0.35, 0.55)),
            RGB.hsl(hues[2], saturation * 0.8, random.uniform(0.6, 0.85)),
        ]
        if random.chance(0.5) { stops.reverse() }
        self.stops = stops
        angle = random.uniform(0, 2 * Double.pi)
        glow = (random.uniform(0.1, 0.9), random.uniform(0.1, 0.9), random.uniform(0.3, 0.8),
                RGB.hsl(random.pick(hues) + 20, saturation, random.uniform(0.6, 0.8)), random.uniform(0.25, 0.6))

        var layers = [Layer]()
        for _ in 0..<random.int(5...10) {
            let x = random.uniform(0.05, 0.95), y = random.uniform(0.05, 0.95)
            let kind = random.unit()
            let shape: Shape
            if kind < 0.35 {
                shape = .circle(x: x, y: y, radius: random.uniform(0.05, 0.3))
            } else if kind < 0.5 {
                shape = .ring(x: x, y: y, radius: random.uniform(0.1, 0.4), lineWidth: random.uniform(0.01, 0.04))
            } else if kind < 0.75 {
                shape = .band(x: x, y: y, angle: random.uniform(0, Double.pi), thickness: random.uniform(0.03, 0.18))
            } else {
                let radius = random.uniform(0.1, 0.35)
                let radii = (0..<random.int(3...7)).map { _ in radius * random.uniform(0.65, 1) }
                shape = .polygon(x: x, y: y, radii: radii, rotation: random.uniform(0, 2 * Double.pi))
            }
            let color = RGB.hsl(random.pick(hues) + random.uniform(-12, 12), min(1, saturation * random.uniform(0.8, 1.2)),
                                random.uniform(0.35, 0.85))
            layers.append(Layer(shape: shape, color: color, opacity: random.uniform(0.3, 0.8)))
        }
        self.layers = layers
    }

    /// The background as packed 8-bit RGB: the three-stop gradient, a soft glow and a vignette.
    /// Computed here rather than with ImageMagick's gradient: so the angle and glow are exact
    /// and one pass over the pixels does it all.
    func background(width: Int, height: Int) -> [UInt8] {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        let (cosine, sine) = (cos(angle), sin(angle))
        let span = abs(cosine) + abs(sine)  // projection of the corners, to map onto 0…1
        let aspect = Double(width) / Double(height)
        pixels.withUnsafeMutableBufferPointer { out in
            var index = 0
            for row in 0..<height {
                let v = (Double(row) + 0.5) / Double(height) - 0.5
                for column in 0..<width {
                    let u = (Double(column) + 0.5) / Double(width) - 0.5
                    var t = 0.5 + (u * cosine + v * sine) / span
                    t = t * t * (3 - 2 * t)  // smoothstep: no visible seams at the stops
                    var color = t < 0.5
                        ? stops[0].mixed(with: stops[1], t * 2)
                        : stops[1].mixed(with: stops[2], t * 2 - 1)
                    let dx = (u + 0.5 - glow.x) * aspect, dy = v + 0.5 - glow.y
                    let falloff = max(0, 1 - (dx * dx + dy * dy) / (glow.radius * glow.radius))
                    color = color.mixed(with: glow.color, glow.strength * falloff * falloff)
                    let shade = 1 - 0.5 * (u * u + v * v)
                    for component in [color.r, color.g, color.b] {
                        out[index] = UInt8(min(max(component * shade, 0), 1) * 255 + 0.5)
                        index += 1
                    }
                }
            }
        }
        return pixels
    }
}
