// The JSON the API answers with: the contract's field names, and null for what is absent.

import FastCGI
import Foundation
@testable import Pictor
import XCTest

final class PayloadTests: XCTestCase {
    private func object(_ value: some Encodable) throws -> NSDictionary {
        try XCTUnwrap(Response.json(value).jsonObject)
    }

    func testAFinishedGenerationHasEveryContractField() throws {
        let json = try object(GenerationObject(Samples.generation(), media: LocalMediaStore(root: "/nonexistent")))
        XCTAssertEqual(json, [
            "id": "0a1b2c3d-0000-4000-8000-00000000abcd", "batch_id": "0a1b2c3d-0000-4000-8000-00000000abcd",
            "status": "succeeded", "prompt": "a lighthouse <at> dusk",
            "negative_prompt": "", "model": "flux-schnell", "width": 1024, "height": 768, "seed": 42, "credit_cost": 1,
            "image_url": "/generations/0a1b2c3d-0000-4000-8000-00000000abcd/image",
            "thumbnail_url": "/generations/0a1b2c3d-0000-4000-8000-00000000abcd/thumbnail",
            "thumbnail_large_url": "/generations/0a1b2c3d-0000-4000-8000-00000000abcd/thumbnail-large",
            "public": false, "favorite": false, "error": NSNull(),
            "created_at": "2026-11-25T08:31:00Z", "completed_at": "2026-11-25T08:31:03Z",
        ])
    }

    func testWhatIsNotThereYetIsNullNotMissing() throws {
        let json = try object(GenerationObject(Samples.generation(status: .queued), media: LocalMediaStore(root: "/nonexistent")))
        for key in ["image_url", "thumbnail_url", "thumbnail_large_url", "error", "completed_at"] {
            XCTAssertTrue(json[key] is NSNull, "\(key) should be null, got \(String(describing: json[key]))")
        }
    }

    func testPublicImagesPointStraightAtMedia() throws {
        let json = try object(GenerationObject(Samples.generation(isPublic: true), media: LocalMediaStore(root: "/nonexistent")))
        XCTAssertEqual(json["image_url"] as? String, "/media/ab/abcdef.png")
        XCTAssertEqual(json["public"] as? Bool, true)
    }

    func testTheLastPageSaysSoWithANullCursor() throws {
        XCTAssertEqual(try object(ListPage<TransactionObject>(data: [], nextCursor: nil)), ["data": [], "next_cursor": NSNull()])
        XCTAssertEqual(try object(ListPage<TransactionObject>(data: [], nextCursor: "12")), ["data": [], "next_cursor": "12"])
    }

    func testLedgerRowsAndModelsUseTheContractNames() throws {
        let entry = LedgerEntry(id: 3, amount: -2, kind: .usage, reason: nil, createdAt: Samples.created)
        XCTAssertEqual(try object(TransactionObject(entry)),
                       ["id": 3, "amount": -2, "kind": "usage", "reason": NSNull(), "created_at": "2026-11-25T08:31:00Z"])
        let model = try object(ModelObject(ImageModel.defaults[2]))
        XCTAssertEqual(model["credit_cost"] as? Int, 3)
        XCTAssertEqual(model["offline_preview"] as? Bool, true)
        XCTAssertEqual((model["sizes"] as? [NSDictionary])?.first, ["width": 512, "height": 512])
    }

    func testTheSameAnswerIsTheSameBytes() {
        let generation = GenerationObject(Samples.generation(), media: LocalMediaStore(root: "/nonexistent"))
        XCTAssertEqual(Response.json(generation).body, Response.json(generation).body)
        XCTAssertTrue(Response.json(ErrorEnvelope(.notFound())).text.hasPrefix(#"{"error":{"code":"not_found","#))
    }
}
