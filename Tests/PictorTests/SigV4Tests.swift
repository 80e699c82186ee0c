// Pictor's own SigV4 code against the worked examples in AWS's S3 documentation.

import Foundation
@testable import Pictor
import XCTest

final class SigV4Tests: XCTestCase {
    /// The documentation's example key pair, bucket and moment (Fri, 24 May 2013 00:00:00 GMT).
    private let signer = SigV4(accessKey: "AKIAIOSFODNN7EXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                               region: "us-east-1")
    private let date = Date(timeIntervalSince1970: 1_369_353_600)

    func testPresignedURLMatchesTheQueryParameterExample() {
        let url = signer.presignedURL(scheme: "https", host: "examplebucket.s3.amazonaws.com", path: "/test.txt",
                                      date: date, expires: 86400)
        XCTAssertEqual(url, "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
                       + "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
                       + "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
                       + "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")
    }

    func testAuthorizationHeaderMatchesTheGetObjectExample() {
        let header = signer.authorization(method: "GET", path: "/test.txt", headers: [
            ("Host", "examplebucket.s3.amazonaws.com"), ("Range", "bytes=0-9"),
            ("x-amz-content-sha256", SigV4.emptyPayloadHash), ("x-amz-date", "20130524T000000Z"),
        ], payloadHash: SigV4.emptyPayloadHash, date: date)
        XCTAssertEqual(header, "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                       + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                       + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    }

    func testURIEncodingKeepsUnreservedCharactersAndSlashesInPaths() {
        XCTAssertEqual(SigV4.encode("/a b/c~d_e-f.g+h=", keepSlash: true), "/a%20b/c~d_e-f.g%2Bh%3D")
        XCTAssertEqual(SigV4.encode("a/b", keepSlash: false), "a%2Fb")
    }

    func testR2SignsWithTheAutoRegion() {
        let r2 = SigV4(accessKey: "AK", secretKey: "SK", region: "auto")
        XCTAssertTrue(r2.presignedURL(scheme: "https", host: "acct.r2.cloudflarestorage.com", path: "/b/private/k.png",
                                      date: date, expires: 300).contains("X-Amz-Credential=AK%2F20130524%2Fauto%2Fs3%2Faws4_request"))
    }
}
