// Where a thumbnail's milliseconds go, and the measurements behind the choices in Thumbnailer.
import Foundation
import Imaging

/// Times each stage on its own and compares the alternatives that were weighed: resize filters
/// (speed, and PSNR against a Lanczos reference) and libwebp effort levels (speed, size, PSNR).
func stages(file: String, runs: Int) throws {
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
    Imaging.setUp()
    func report(_ label: String, _ detail: String = "", _ body: () throws -> Void) rethrows {
        let padded = label.padding(toLength: 34, withPad: " ", startingAt: 0)
        print("  " + padded + String(format: "%6.2f ms", try time(runs: runs, body)) + detail)
    }
    func psnr(_ picture: Picture, against reference: Picture) throws -> String {
        String(format: "%.1f dB", try picture.peakSignalToNoiseRatio(against: reference))
    }

    let source = try Picture(decoding: bytes)
    let lanczos = try source.copy()
    try lanczos.resize(width: 512, height: 512, filter: .lanczos)
    let half = try source.copy()
    try half.scale(width: 512, height: 512)

    print((file as NSString).lastPathComponent + ", median of \(runs):")
    report("Thumbnailer.thumbnails, all of it") { _ = try? Thumbnailer.thumbnails(of: bytes) }
    report("BuiltinGenerator.draw 1024x1024") { _ = try? BuiltinGenerator.draw(prompt: "stages", seed: 1, width: 1024, height: 1024) }
    report("ping (header only)") { _ = try? Thumbnailer.inspect(bytes) }
    try report("decode PNG") { _ = try Picture(decoding: bytes) }
    let shrinks: [(String, (Picture) throws -> Void)] = [
        ("scale (area average) 1024->512", { try $0.scale(width: 512, height: 512) }),
        ("resize Triangle 1024->512", { try $0.resize(width: 512, height: 512, filter: .triangle) }),
        ("resize Lanczos 1024->512", { try $0.resize(width: 512, height: 512, filter: .lanczos) }),
    ]
    for (label, shrink) in shrinks {
        let sample = try source.copy()
        try shrink(sample)
        let quality = label.contains("Lanczos") ? ", the PSNR reference" : ", PSNR vs Lanczos " + (try psnr(sample, against: lanczos))
        try report(label, quality) { try shrink(try source.copy()) }
    }
    try report("scale 512->256") { try half.copy().scale(width: 256, height: 256) }
    for method in [2, 4] {
        func encode() throws -> [UInt8] { try half.copy().encoded(as: .webp, quality: 80, webPMethod: method) }
        let webp = try encode()
        let detail = ", \(webp.count) bytes, PSNR " + (try psnr(try Picture(decoding: webp), against: half))
        try report("encode WebP 512 q80 method \(method)", detail) { _ = try encode() }
    }
}
