// Internal helpers shared by the generator and the thumbnailer: errors, ping, decode, encode.
internal import CMagickWand

/// Small building blocks over raw MagickWand pointers. Callers own every wand they create and
/// free it with `defer { DestroyMagickWand(wand) }` right after creating it.
enum Magick {
    /// A fresh wand; `NewMagickWand` only returns nil when memory is exhausted.
    static func newWand() throws -> OpaquePointer {
        Imaging.setUp()
        guard let wand = NewMagickWand() else { throw ImagingError("out of memory") }
        return wand
    }

    /// Turns the wand's pending exception into an `ImagingError` and clears it, so a wand that
    /// is reused (or a caller that retries) does not see a stale error.
    static func error(_ wand: OpaquePointer, _ context: String, detail reported: String? = nil) -> ImagingError {
        var severity = UndefinedException
        var detail = reported ?? ""
        if let text = MagickGetException(wand, &severity) {
            if detail.isEmpty { detail = String(cString: text) }
            _ = MagickRelinquishMemory(text)
        }
        MagickClearException(wand)
        // ImageMagick appends " @ error/png.c/ReadPNGImage/4321": source locations mean nothing
        // to a user, and the text ends up in a generation's public `error` field.
        if let at = detail.firstRange(of: " @ ") { detail = String(detail[..<at.lowerBound]) }
        detail = detail.replacing(" `'", with: "")
        return ImagingError(detail.isEmpty ? context : "\(context): \(detail)")
    }

    /// Recognises the format and reads the header only (no pixels), then enforces the size
    /// limits, so a file that claims 100000×100000 is refused before anything is allocated.
    static func ping(_ bytes: [UInt8]) throws -> (width: Int, height: Int, format: ImageFormat) {
        guard !bytes.isEmpty else { throw ImagingError("empty image data") }
        guard let format = ImageFormat(sniffing: bytes) else {
            throw ImagingError("not a PNG, JPEG or WebP image")
        }
        if format == .png, let declared = ImageFormat.pngDeclaredSize(bytes) {
            try checkLimits(width: declared.width, height: declared.height)
        }
        let wand = try newWand()
        defer { _ = DestroyMagickWand(wand) }
        _ = MagickSetFormat(wand, format.magick)
        let ok = bytes.withUnsafeBytes { MagickPingImageBlob(wand, $0.baseAddress, $0.count) }
        guard ok == MagickTrue, MagickGetNumberImages(wand) > 0 else {
            throw error(wand, "unreadable \(format.magick) image")
        }
        MagickClearException(wand)
        let width = Int(MagickGetImageWidth(wand))
        let height = Int(MagickGetImageHeight(wand))
        try checkLimits(width: width, height: height)
        return (width, height, format)
    }

    /// Refuses sizes Pictor will not hold in memory (also used for sizes it would produce).
    static func checkLimits(width: Int, height: Int) throws {
        guard width > 0, height > 0 else { throw ImagingError("image has no pixels") }
        guard width <= Imaging.maxSide, height <= Imaging.maxSide,
              width * height <= Imaging.maxPixels
        else {
            throw ImagingError("image size \(width)×\(height) exceeds the limit of "
                + "\(Imaging.maxSide) px a side and \(Imaging.maxPixels / 1_000_000) MP")
        }
    }

    /// Decodes `bytes` into `wand` with the coder forced to `format` and keeps the first frame
    /// only (an animated WebP becomes its first picture).
    static func read(_ bytes: [UInt8], format: ImageFormat, into wand: OpaquePointer) throws {
        _ = MagickSetFormat(wand, format.magick)
        let ok = bytes.withUnsafeBytes { MagickReadImageBlob(wand, $0.baseAddress, $0.count) }
        guard ok == MagickTrue, MagickGetNumberImages(wand) > 0,
              MagickGetExceptionType(wand).rawValue < ErrorException.rawValue
        else {
            throw error(wand, "could not decode the \(format.magick) image")
        }
        // A truncated or damaged JPEG decodes "successfully" with a grey lower half; libjpeg
        // only warns, and ImageMagick 6 files that warning on the image, not on the wand.
        // A damaged picture is not worth storing, so corruption warnings fail the read too
        // (other warnings, e.g. libpng's about a sloppy sRGB profile, are harmless).
        if let image = GetImageFromMagickWand(wand),  // the wand's own image, not a copy
           case let severity = image.pointee.exception.severity.rawValue,
           severity == CorruptImageWarning.rawValue || severity >= ErrorException.rawValue {
            let reason = image.pointee.exception.reason.map { String(cString: $0) }
            throw error(wand, "damaged \(format.magick) image", detail: reason)
        }
        MagickClearException(wand)  // harmless warnings, e.g. an unknown PNG chunk
        while MagickGetNumberImages(wand) > 1 {
            MagickSetLastIterator(wand)
            _ = MagickRemoveImage(wand)
        }
        MagickResetIterator(wand)
    }

    /// Encodes the wand's current image. `quality` is ignored for PNG, which is lossless;
    /// `webPMethod` (libwebp's effort, 0–6) only applies to WebP.
    static func encode(_ wand: OpaquePointer, as format: ImageFormat, quality: Int, webPMethod: Int = 2) throws -> [UInt8] {
        // Both the image's and the wand's format: the wand's still names the coder forced at
        // read time, and ImageMagick would pick that one over the image's.
        _ = MagickSetImageFormat(wand, format.magick)
        _ = MagickSetFormat(wand, format.magick)
        _ = MagickSetImageDepth(wand, 8)
        switch format {
        case .png:
            // No tIME chunk and no date:create/date:modify text: identical pixels must give
            // identical bytes, whenever they are encoded.
            _ = MagickSetOption(wand, "png:exclude-chunk", "date,time")
        case .webp:
            _ = MagickSetImageCompressionQuality(wand, quality)
            // By default libwebp's effort 2 instead of its own default 4: measured on 512 px
            // thumbnails it halves the encode time (the biggest cost of a thumbnail) for 4–6 %
            // more bytes and 0.2 dB less PSNR.
            _ = MagickSetOption(wand, "webp:method", String(webPMethod))
        case .jpeg:
            _ = MagickSetImageCompressionQuality(wand, quality)
        }
        var length = 0
        guard let blob = MagickGetImageBlob(wand, &length), length > 0 else {
            throw error(wand, "could not encode \(format.magick)")
        }
        defer { _ = MagickRelinquishMemory(blob) }
        return Array(UnsafeBufferPointer(start: blob, count: length))
    }

    /// Decodes to packed 8-bit RGB; lets tests compare pictures by their pixels.
    static func decodeRGB(_ bytes: [UInt8]) throws -> (width: Int, height: Int, rgb: [UInt8]) {
        let header = try ping(bytes)
        let wand = try newWand()
        defer { _ = DestroyMagickWand(wand) }
        try read(bytes, format: header.format, into: wand)
        let width = Int(MagickGetImageWidth(wand)), height = Int(MagickGetImageHeight(wand))
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        let ok = rgb.withUnsafeMutableBytes {
            MagickExportImagePixels(wand, 0, 0, width, height, "RGB", CharPixel, $0.baseAddress)
        }
        guard ok == MagickTrue else { throw error(wand, "could not read pixels") }
        return (width, height, rgb)
    }
}
