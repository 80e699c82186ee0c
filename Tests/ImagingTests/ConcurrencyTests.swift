// Several threads using the module at once: separate wands, shared process-wide set-up.
import XCTest
@testable import Imaging

final class ConcurrencyTests: XCTestCase {
    func testEightThreadsMakingThumbnailsAtOnceAllSucceed() throws {
        let source = Fixtures.png(1024, 768)
        let reference = try Thumbnailer.thumbnails(of: source)
        let results = Locked([Int: Result<[EncodedImage], Error>]())
        DispatchQueue.concurrentPerform(iterations: 8) { index in
            let result = Result { try Thumbnailer.thumbnails(of: source) }
            results.withLock { $0[index] = result }
        }
        let all = results.withLock { $0 }
        XCTAssertEqual(all.count, 8)
        for (index, result) in all {
            let thumbnails = try result.get()
            // Encoding is deterministic, so every thread must produce the very same bytes.
            XCTAssertEqual(thumbnails, reference, "thread \(index)")
        }
    }

    func testConcurrentDrawingAndBadInputDoNotDisturbEachOther() throws {
        let reference = try BuiltinGenerator.draw(prompt: "parallel", seed: 11, width: 256, height: 256)
        let failures = Locked([String]())
        DispatchQueue.concurrentPerform(iterations: 8) { index in
            do {
                if index % 2 == 0 {
                    let image = try BuiltinGenerator.draw(prompt: "parallel", seed: 11, width: 256, height: 256)
                    if image != reference { failures.withLock { $0.append("draw \(index) differs") } }
                } else {
                    // An exception recorded on one thread's wand must not leak into another's.
                    if (try? Thumbnailer.thumbnails(of: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3])) != nil {
                        failures.withLock { $0.append("garbage \(index) accepted") }
                    }
                }
            } catch {
                failures.withLock { $0.append("\(index): \(error)") }
            }
        }
        XCTAssertEqual(failures.withLock { $0 }, [])
    }
}
