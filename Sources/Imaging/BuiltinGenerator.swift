// The offline `builtin` provider: a deterministic abstract picture from prompt and seed.
internal import CMagickWand

/// Draws the `builtin` model's images: no network, no key, no GPU. The result is an abstract
/// composition (gradient, glow, circles, rings, bands, polygons) whose palette and layout come
/// from a hash of the prompt, negative prompt and seed, so it is reproducible and every prompt
/// looks different. It is an offline preview, never presented as AI output.
public enum BuiltinGenerator {
    /// Largest side the generator draws; far above every model size Pictor offers.
    static let maxSide = 4096

    /// Draws the picture for this request as a PNG of exactly `width`×`height`. The same
    /// prompt, negative prompt, seed and size always give byte-identical files (no timestamps
    /// or other metadata are written).
    public static func draw(prompt: String, negativePrompt: String = "", seed: UInt32, width: Int, height: Int) throws -> EncodedImage {
        guard (1...maxSide).contains(width), (1...maxSide).contains(height) else {
            throw ImagingError("builtin images must be 1 to \(maxSide) px a side, not \(width)×\(height)")
        }
        let scene = BuiltinScene(prompt: prompt, negativePrompt: negativePrompt, seed: seed)
        let wand = try Magick.newWand()
        defer { _ = DestroyMagickWand(wand) }
        let background = scene.background(width: width, height: height)
        guard MagickConstituteImage(wand, width, height, "RGB", CharPixel, background) == MagickTrue else {
            throw Magick.error(wand, "could not create the builtin image")
        }
        try drawLayers(scene.layers, on: wand, width: Double(width), height: Double(height))
        // Drawing with opacity switches an alpha channel on; the picture is opaque, and an RGB
        // PNG is about a fifth smaller than the same picture as RGBA.
        _ = MagickSetImageAlphaChannel(wand, DeactivateAlphaChannel)
        _ = MagickStripImage(wand)
        let png = try Magick.encode(wand, as: .png, quality: 0)
        return EncodedImage(bytes: png, format: .png, width: width, height: height)
    }

    private static func drawLayers(_ layers: [BuiltinScene.Layer], on wand: OpaquePointer, width: Double, height: Double) throws {
        guard let drawing = NewDrawingWand() else { throw ImagingError("out of memory") }
        defer { _ = DestroyDrawingWand(drawing) }
        guard let paint = NewPixelWand() else { throw ImagingError("out of memory") }
        defer { _ = DestroyPixelWand(paint) }
        guard let none = NewPixelWand() else { throw ImagingError("out of memory") }
        defer { _ = DestroyPixelWand(none) }
        _ = PixelSetColor(none, "none")
        let unit = min(width, height)

        for layer in layers {
            _ = PixelSetColor(paint, layer.color.hex)
            // A fresh graphic context per shape: stroke opacity and width set for a ring would
            // otherwise linger and outline every later shape.
            _ = PushDrawingWand(drawing)
            defer { _ = PopDrawingWand(drawing) }
            if case .ring = layer.shape {
                // Outline only. "none" must be set before any opacity: ImageMagick applies the
                // current opacity to the colour it is given, turning "none" into grey.
                DrawSetFillColor(drawing, none)
                DrawSetStrokeColor(drawing, paint)
                DrawSetStrokeOpacity(drawing, layer.opacity)
            } else {
                DrawSetFillColor(drawing, paint)
                DrawSetFillOpacity(drawing, layer.opacity)
            }
            switch layer.shape {
            case let .circle(x, y, radius):
                DrawCircle(drawing, x * width, y * height, x * width + radius * unit, y * height)
            case let .ring(x, y, radius, lineWidth):
                DrawSetStrokeWidth(drawing, lineWidth * unit)
                DrawCircle(drawing, x * width, y * height, x * width + radius * unit, y * height)
            case let .band(x, y, angle, thickness):
                // Long enough to cross the picture at any angle from any point inside it.
                let reach = 2 * (width + height), half = thickness * unit / 2
                let (dx, dy) = (cos(angle), sin(angle))
                let (cx, cy) = (x * width, y * height)
                let corners = [(reach, half), (reach, -half), (-reach, -half), (-reach, half)].map {
                    PointInfo(x: cx + $0.0 * dx - $0.1 * dy, y: cy + $0.0 * dy + $0.1 * dx)
                }
                DrawPolygon(drawing, corners.count, corners)
            case let .polygon(x, y, radii, rotation):
                let step = 2 * Double.pi / Double(radii.count)
                let points = radii.enumerated().map { index, radius in
                    PointInfo(x: x * width + radius * unit * cos(rotation + Double(index) * step),
                              y: y * height + radius * unit * sin(rotation + Double(index) * step))
                }
                DrawPolygon(drawing, points.count, points)
            }
        }
        guard MagickDrawImage(wand, drawing) == MagickTrue else {
            throw Magick.error(wand, "could not draw the builtin image")
        }
    }
}
