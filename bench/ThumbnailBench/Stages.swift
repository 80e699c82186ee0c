// Where a thumbnail's milliseconds go, and the measurements behind the choices in Thumbnailer.
import CMagickWand
import Foundation
import Imaging

/// Times each stage on its own and compares the alternatives that were weighed: resize filters
/// (speed, and PSNR against a Lanczos reference) and libwebp effort levels (speed, size, PSNR).
func stages(file: String, runs: Int) throws {
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
    Imaging.setUp()
    func decode() -> OpaquePointer {
        let wand = NewMagickWand()!
        _ = MagickSetFormat(wand, "PNG")
        _ = bytes.withUnsafeBytes { MagickReadImageBlob(wand, $0.baseAddress, $0.count) }
        return wand
    }
    func report(_ label: String, _ detail: String = "", _ body: () -> Void) {
        let padded = label.padding(toLength: 34, withPad: " ", startingAt: 0)
        print("  " + padded + String(format: "%6.2f ms", time(runs: runs, body)) + detail)
    }
    func psnr(_ wand: OpaquePointer, against reference: OpaquePointer) -> String {
        var distortion = 0.0
        if let difference = MagickCompareImages(wand, reference, PeakSignalToNoiseRatioMetric, &distortion) {
            _ = DestroyMagickWand(difference)
        }
        return String(format: "%.1f dB", distortion)
    }

    let source = decode()
    let lanczos = CloneMagickWand(source)!
    _ = MagickResizeImage(lanczos, 512, 512, LanczosFilter, 1.0)
    let half = CloneMagickWand(source)!
    _ = MagickScaleImage(half, 512, 512)
    defer { [source, lanczos, half].forEach { _ = DestroyMagickWand($0) } }

    print((file as NSString).lastPathComponent + ", median of \(runs):")
    report("Thumbnailer.thumbnails, all of it") { _ = try? Thumbnailer.thumbnails(of: bytes) }
    report("BuiltinGenerator.draw 1024x1024") { _ = try? BuiltinGenerator.draw(prompt: "stages", seed: 1, width: 1024, height: 1024) }
    report("ping (header only)") { _ = try? Thumbnailer.inspect(bytes) }
    report("decode PNG") { _ = DestroyMagickWand(decode()) }
    let shrinks: [(String, (OpaquePointer) -> Void)] = [
        ("scale (area average) 1024->512", { _ = MagickScaleImage($0, 512, 512) }),
        ("resize Triangle 1024->512", { _ = MagickResizeImage($0, 512, 512, TriangleFilter, 1.0) }),
        ("resize Lanczos 1024->512", { _ = MagickResizeImage($0, 512, 512, LanczosFilter, 1.0) }),
    ]
    for (label, shrink) in shrinks {
        let sample = CloneMagickWand(source)!
        shrink(sample)
        let quality = label.contains("Lanczos") ? ", the PSNR reference" : ", PSNR vs Lanczos " + psnr(sample, against: lanczos)
        _ = DestroyMagickWand(sample)
        report(label, quality) { let wand = CloneMagickWand(source)!; shrink(wand); _ = DestroyMagickWand(wand) }
    }
    report("scale 512->256") { let wand = CloneMagickWand(half)!; _ = MagickScaleImage(wand, 256, 256); _ = DestroyMagickWand(wand) }
    for method in ["2", "4"] {
        func encode() -> [UInt8] {
            let wand = CloneMagickWand(half)!
            defer { _ = DestroyMagickWand(wand) }
            _ = MagickSetImageFormat(wand, "WEBP")
            _ = MagickSetFormat(wand, "WEBP")
            _ = MagickSetOption(wand, "webp:method", method)
            _ = MagickSetImageCompressionQuality(wand, 80)
            var length = 0
            let blob = MagickGetImageBlob(wand, &length)!
            defer { _ = MagickRelinquishMemory(blob) }
            return Array(UnsafeBufferPointer(start: blob, count: length))
        }
        let webp = encode()
        let back = NewMagickWand()!
        _ = webp.withUnsafeBytes { MagickReadImageBlob(back, $0.baseAddress, $0.count) }
        let detail = ", \(webp.count) bytes, PSNR " + psnr(back, against: half)
        _ = DestroyMagickWand(back)
        report("encode WebP 512 q80 method \(method)", detail) { _ = encode() }
    }
}
