// Renders the real gallery page (templates/gallery.mustache, its layout and partials, 24 tiles)
// with Pictor's engine and with swift-mustache in each context form, checks they write the same
// bytes, and prints CPU microseconds per page on this core: with every tile rendered for the page,
// and with the tiles' markup taken from a cache (as GalleryPages does once a worker has seen them).
//
//   mustache-compare [templates-directory] [seconds-per-measurement] [rounds]

import Foundation
import Mustache

let arguments = CommandLine.arguments
let directory = arguments.count > 1 ? arguments[1] : "templates"
let seconds = arguments.count > 2 ? Double(arguments[2]) ?? 1 : 1
let rounds = arguments.count > 3 ? Int(arguments[3]) ?? 3 : 3

let pictor = try PictorForms(directory: directory)
let mustache = try await MustacheLibrary(directory: directory)

/// This thread's CPU time: time the machine's other work takes away from it is not counted.
func cpuNanoseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}

/// CPU microseconds per call, the best of `rounds` runs of about `seconds` each. Calls go in
/// batches of about a millisecond, so reading the clock costs next to nothing. Returning the
/// size keeps the work from being optimised out.
func microseconds(_ body: () -> Int) -> Double {
    var sink = 0, batch = 1
    while true {  // also the warm-up
        let start = cpuNanoseconds()
        for _ in 0..<batch { sink &+= body() }
        if cpuNanoseconds() - start >= 1_000_000 { break }
        batch *= 2
    }
    var best = Double.infinity
    for _ in 0..<rounds {
        let start = cpuNanoseconds()
        var now = start, calls = 0
        repeat {
            for _ in 0..<batch { sink &+= body() }
            calls += batch
            now = cpuNanoseconds()
        } while now - start < UInt64(seconds * 1e9)
        best = min(best, Double(now - start) / 1000 / Double(calls))
    }
    if sink == 0 { print("nothing rendered") }
    return best
}

struct Row {
    let name: String
    let fresh: Double
    let cached: Double
    let output: [UInt8]
}

var rows: [Row] = []

// Pictor: tiles from typed fields, the page from a dictionary, as the app does today.
let cachedMarkup = pictor.freshTiles()
rows.append(Row(name: "Pictor Templates, page as dictionary",
                fresh: microseconds { pictor.dictionaryPage(tiles: pictor.freshTiles()).count },
                cached: microseconds { pictor.dictionaryPage(tiles: cachedMarkup).count },
                output: pictor.dictionaryPage(tiles: pictor.freshTiles())))
rows.append(Row(name: "Pictor Templates, page as typed model",
                fresh: microseconds { pictor.typedPage(tiles: pictor.freshTiles()).count },
                cached: microseconds { pictor.typedPage(tiles: cachedMarkup).count },
                output: pictor.typedPage(tiles: pictor.freshTiles())))

for form in [MustacheForm.reflection, .dictionaries, .parents] {
    func tiles() -> [String] { items.map { mustache.render(form.tile($0), withTemplate: "partials/gallery-tile") ?? "" } }
    func render(_ tiles: [String]) -> String { mustache.render(form.page(tiles), withTemplate: "gallery") ?? "" }
    let cachedTiles = tiles()
    rows.append(Row(name: "swift-mustache 2.1.1, \(form.name)",
                    fresh: microseconds { render(tiles()).utf8.count },
                    cached: microseconds { render(cachedTiles).utf8.count },
                    output: Array(render(tiles()).utf8)))
}

let reference = rows[0]
print(String(format: "gallery page: 24 tiles, %d bytes; CPU µs per page on one core, best of %d × %.1f s",
             reference.output.count, rounds, seconds))
print("| engine, context form | every tile rendered | × first row | tiles from cache | × first row |")
print("|---|---:|---:|---:|---:|")
for row in rows {
    print(String(format: "| %@ | %.1f µs | %.1f× | %.1f µs | %.1f× |", row.name, row.fresh, row.fresh / reference.fresh,
                 row.cached, row.cached / reference.cached))
}
for row in rows.dropFirst() where row.output != reference.output {
    let at = zip(row.output, reference.output).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        ?? min(row.output.count, reference.output.count)
    func around(_ bytes: [UInt8]) -> String { String(decoding: bytes[max(0, at - 40)..<min(bytes.count, at + 40)], as: UTF8.self) }
    print("\(row.name) writes other bytes than Pictor from byte \(at):\n  Pictor: \(around(reference.output).debugDescription)\n  it:     \(around(row.output).debugDescription)")
}
if rows.allSatisfy({ $0.output == reference.output }) { print("every engine and form wrote the same bytes") }
