// A decoded image to measure and compare steps on: for the thumbnail benchmark and the tests.
internal import CMagickWand

/// One decoded image, kept in memory so that single steps (decode, shrink, encode) can be timed
/// and their results compared, without the benchmark or the tests importing ImageMagick.
/// Package-only: the app works with encoded bytes through `Thumbnailer` and `BuiltinGenerator`.
/// Not thread-safe; each instance owns its wand.
package final class Picture {
    /// Resampling filters weighed against each other for thumbnails.
    package enum Filter {
        case lanczos, triangle
    }

    private let wand: OpaquePointer

    private init(wand: OpaquePointer) {
        self.wand = wand
    }

    deinit {
        _ = DestroyMagickWand(wand)
    }

    /// Decodes a PNG, JPEG or WebP (its first frame) with the matching coder forced. No header
    /// ping first, so that timing this times the decode alone; ImageMagick's resource limits
    /// (set up by `Imaging`) still bound what it allocates.
    package convenience init(decoding bytes: [UInt8]) throws {
        guard let format = ImageFormat(sniffing: bytes) else { throw ImagingError("not a PNG, JPEG or WebP image") }
        self.init(wand: try Magick.newWand())
        try Magick.read(bytes, format: format, into: wand)
    }

    /// A sequence of frames from packed 8-bit RGB pixels, `width`×`height` each.
    package convenience init(rgbFrames frames: [[UInt8]], width: Int, height: Int) throws {
        self.init(wand: try Magick.newWand())
        for pixels in frames {
            guard pixels.count == width * height * 3 else { throw ImagingError("a frame has the wrong number of pixels") }
            guard MagickConstituteImage(wand, width, height, "RGB", CharPixel, pixels) == MagickTrue else {
                throw Magick.error(wand, "could not create a frame")
            }
        }
    }

    /// ImageMagick's plasma fractal: noisy and photo-like, so harder to decode and encode than
    /// the builtin generator's flat shapes. Random: every call draws a different one.
    package static func plasmaFractal(width: Int, height: Int) throws -> Picture {
        let picture = Picture(wand: try Magick.newWand())
        guard MagickSetSize(picture.wand, width, height) == MagickTrue,
              MagickReadImage(picture.wand, "plasma:fractal") == MagickTrue,
              MagickSetImageDepth(picture.wand, 8) == MagickTrue,
              MagickStripImage(picture.wand) == MagickTrue
        else { throw Magick.error(picture.wand, "could not draw a plasma fractal") }
        return picture
    }

    /// An independent copy (ImageMagick shares the pixels until one of them changes).
    package func copy() throws -> Picture {
        guard let clone = CloneMagickWand(wand) else { throw ImagingError("out of memory") }
        return Picture(wand: clone)
    }

    package var width: Int { Int(MagickGetImageWidth(wand)) }
    package var height: Int { Int(MagickGetImageHeight(wand)) }

    /// Shrinks by exact area averaging, as `Thumbnailer` does.
    package func scale(width: Int, height: Int) throws {
        guard MagickScaleImage(wand, width, height) == MagickTrue else { throw Magick.error(wand, "could not scale") }
    }

    /// Resamples with a filter, for comparison with `scale`.
    package func resize(width: Int, height: Int, filter: Filter) throws {
        let type = switch filter {
        case .lanczos: LanczosFilter
        case .triangle: TriangleFilter
        }
        guard MagickResizeImage(wand, width, height, type, 1.0) == MagickTrue else { throw Magick.error(wand, "could not resize") }
    }

    /// The current frame encoded exactly as Pictor encodes (see `Magick.encode`).
    package func encoded(as format: ImageFormat, quality: Int, webPMethod: Int = 2) throws -> [UInt8] {
        try Magick.encode(wand, as: format, quality: quality, webPMethod: webPMethod)
    }

    /// Every frame in one file (an animated WebP, say), with the coder's defaults.
    package func encodedFrames(as format: ImageFormat) throws -> [UInt8] {
        _ = MagickSetFormat(wand, format.magick)
        var length = 0
        guard let blob = MagickGetImagesBlob(wand, &length), length > 0 else {
            throw Magick.error(wand, "could not encode \(format.magick) frames")
        }
        defer { _ = MagickRelinquishMemory(blob) }
        return Array(UnsafeBufferPointer(start: blob, count: length))
    }

    /// Peak signal-to-noise ratio in dB against a picture of the same size: higher is closer.
    package func peakSignalToNoiseRatio(against reference: Picture) throws -> Double {
        var distortion = 0.0
        guard let difference = MagickCompareImages(wand, reference.wand, PeakSignalToNoiseRatioMetric, &distortion) else {
            throw Magick.error(wand, "could not compare")
        }
        _ = DestroyMagickWand(difference)
        return distortion
    }
}
