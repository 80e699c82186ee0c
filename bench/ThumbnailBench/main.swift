// Thumbnail benchmark: Pictor's decode + 512 + 256 + encode against vipsthumbnail, same files, same run.
//
//   imaging-bench compare DIR [RUNS] [VIPSTHUMBNAIL]   the whole comparison (bench/thumbnails.sh runs it)
//   imaging-bench thumbnail FILE                        one thumbnails() call, for per-process timing
//   imaging-bench stages FILE [RUNS]                    where the milliseconds go (Stages.swift)
//   imaging-bench start                                 start-up alone
//
// Pin it to one core (taskset -c 0): ImageMagick already runs one thread, and children inherit
// the affinity, so vipsthumbnail (with VIPS_CONCURRENCY=1) gets the same single core.
import Foundation
import Imaging

/// Monotonic wall clock in milliseconds.
func milliseconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) * 1000 + Double(now.tv_nsec) / 1_000_000
}

func median(_ samples: [Double]) -> Double {
    let sorted = samples.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

/// Median wall time of `runs` calls after a few warm-up calls (page cache, lazy coder loading).
func time(runs: Int, _ body: () throws -> Void) rethrows -> Double {
    for _ in 0..<3 { try body() }
    var samples = [Double]()
    for _ in 0..<runs {
        let start = milliseconds()
        try body()
        samples.append(milliseconds() - start)
    }
    return median(samples)
}

/// Runs a program to completion with output discarded; fails loudly if it does not exit 0.
func run(_ arguments: [String]) {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    let argv = arguments.map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid = pid_t()
    guard posix_spawn(&pid, arguments[0], &actions, nil, argv, environ) == 0 else {
        fatalError("cannot start \(arguments[0])")
    }
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    guard status == 0 else { fatalError("\(arguments.joined(separator: " ")) failed (status \(status))") }
}

/// The two inputs: the builtin generator's flat shapes, and a noisy photo-like plasma fractal
/// (harder for PNG decode and WebP encode alike).
func prepare(in directory: String) throws -> [String] {
    let builtin = directory + "/builtin.png", plasma = directory + "/plasma.png"
    let picture = try BuiltinGenerator.draw(prompt: "a lighthouse on a cliff at dusk", seed: 1, width: 1024, height: 1024)
    try Data(picture.bytes).write(to: URL(fileURLWithPath: builtin))

    let fractal = try Picture.plasmaFractal(width: 1024, height: 1024)
    try Data(try fractal.encoded(as: .png, quality: 0)).write(to: URL(fileURLWithPath: plasma))
    return [builtin, plasma]
}

func compare(directory: String, runs: Int, vips: String) throws {
    let me = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
    print("Thumbnails of a 1024x1024 PNG: decode, 512 and 256 px long side, encode; median of \(runs) runs, one core.")
    print("WebP available: \(Imaging.supportsWebP) (quality 80; otherwise JPEG 82). vipsthumbnail: VIPS_CONCURRENCY=1, Q=80.\n")
    for file in try prepare(in: directory) {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
        let name = (file as NSString).lastPathComponent
        var thumbnails = [EncodedImage]()
        let inProcess = try time(runs: runs) { thumbnails = try Thumbnailer.thumbnails(of: bytes) }
        let perProcess = time(runs: runs) { run([me, "thumbnail", file]) }
        let vips512 = time(runs: runs) { run([vips, file, "-s", "512", "-o", directory + "/vips-512.webp[Q=80]"]) }
        let vips256 = time(runs: runs) { run([vips, file, "-s", "256", "-o", directory + "/vips-256.webp[Q=80]"]) }
        let vipsSum = vips512 + vips256
        // Start-up dominates a one-image process; subtracting it estimates the work itself.
        let vipsStart = time(runs: runs) { run([vips, "--vips-version"]) }
        let pictorStart = time(runs: runs) { run([me, "start"]) }
        let vipsWork = max(vipsSum - 2 * vipsStart, 0.1)
        func size(_ path: String) -> Int { (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0 }
        func ms(_ value: Double) -> String { String(format: "%6.1f ms", value) }

        print("\(name) (\(bytes.count / 1024) KB)")
        print("  Pictor in process (what a worker pays)    \(ms(inProcess))   target <= 40 ms: \(inProcess <= 40 ? "met" : "MISSED")")
        print("  Pictor as a process (incl. start-up)      \(ms(perProcess))")
        print("  vipsthumbnail -s 512 (per process)        \(ms(vips512))")
        print("  vipsthumbnail -s 256 (per process)        \(ms(vips256))")
        print("  vipsthumbnail both sizes (sum)            \(ms(vipsSum))")
        print("  start-up alone: Pictor \(ms(pictorStart)), vipsthumbnail \(ms(vipsStart))")
        print("  vipsthumbnail work, sum - 2 start-ups     \(ms(vipsWork))   (estimate)")
        print(String(format: "  ratio Pictor as a process / vips sum      %6.2f", perProcess / vipsSum))
        print(String(format: "  ratio Pictor in process / vips work       %6.2f", inProcess / vipsWork))
        print("  output bytes 256/512: Pictor \(thumbnails[0].bytes.count)/\(thumbnails[1].bytes.count), "
            + "vips \(size(directory + "/vips-256.webp"))/\(size(directory + "/vips-512.webp"))\n")
    }
}

let arguments = CommandLine.arguments
switch arguments.dropFirst().first {
case "thumbnail" where arguments.count == 3:
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: arguments[2])))
    _ = try Thumbnailer.thumbnails(of: bytes)
case "start":
    Imaging.setUp()  // start-up cost alone: runtime, MagickWandGenesis, configuration files
    _ = Imaging.supportsWebP
case "stages" where arguments.count >= 3:
    try stages(file: arguments[2], runs: arguments.count > 3 ? Int(arguments[3]) ?? 20 : 20)
case "compare" where arguments.count >= 3:
    let runs = arguments.count > 3 ? Int(arguments[3]) ?? 50 : 50
    try compare(directory: arguments[2], runs: runs, vips: arguments.count > 4 ? arguments[4] : "/usr/bin/vipsthumbnail")
default:
    print("usage: imaging-bench compare DIR [RUNS] [VIPSTHUMBNAIL] | imaging-bench thumbnail FILE")
    exit(2)
}
