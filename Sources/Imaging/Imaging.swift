// Process-wide ImageMagick set-up: genesis, resource limits and the WebP capability probe.
internal import CMagickWand

/// Entry point for the process-wide parts of the MagickWand wrapper.
///
/// Every other call in this module runs `setUp()` itself, so forgetting it is harmless;
/// calling it early (at worker start) just moves the one-time cost out of the first request.
public enum Imaging {
    /// Largest width or height Pictor decodes. Checked with a ping before any pixel is allocated.
    static let maxSide = 16_384
    /// Largest pixel count Pictor decodes (100 MP: 800 MB of Q16 pixel cache at worst).
    static let maxPixels = 100_000_000

    /// Initialises MagickWand once per process, limits it to one thread (the FastCGI pool and
    /// the job runners are the parallelism; OpenMP threads inside every call would only fight
    /// them for the two cores) and caps memory, so one hostile image cannot eat the machine.
    public static func setUp() {
        _ = genesis
    }

    /// Whether this ImageMagick build can encode WebP (the delegate is optional in some
    /// distributions). Probed once by really encoding a tiny image; thumbnails fall back to
    /// JPEG when it is false.
    public static var supportsWebP: Bool { webPProbe }

    // Swift runs a static initialiser exactly once, thread-safely: that is the whole "once" logic.
    private static let genesis: Void = {
        MagickWandGenesis()
        // The limits match Debian's shipped policy.xml, so behaviour does not depend on a host
        // whose policy is missing or looser. A policy file can still only lower them.
        let limits: [(ResourceType, MagickSizeType)] = [
            (ThreadResource, 1),
            (WidthResource, MagickSizeType(maxSide)),
            (HeightResource, MagickSizeType(maxSide)),
            (AreaResource, MagickSizeType(maxPixels)),
            (MemoryResource, 256 << 20),
            (MapResource, 512 << 20),
            (DiskResource, 1 << 30),
            (ListLengthResource, 32),  // an "animated" WebP with thousands of frames is an attack
        ]
        for (resource, limit) in limits {
            _ = MagickSetResourceLimit(resource, limit)
        }
    }()

    private static let webPProbe: Bool = {
        setUp()
        guard let wand = NewMagickWand() else { return false }
        defer { _ = DestroyMagickWand(wand) }
        let pixels: [UInt8] = [200, 40, 40, 40, 200, 40, 40, 40, 200, 250, 250, 250]
        guard MagickConstituteImage(wand, 2, 2, "RGB", CharPixel, pixels) == MagickTrue,
              let bytes = try? Magick.encode(wand, as: .webp, quality: 80)
        else {
            MagickClearException(wand)
            return false
        }
        return ImageFormat(sniffing: bytes) == .webp
    }()
}
