// The one place the OpenAI-compatible API reads a stored image's bytes (for `b64_json`): kept
// apart so that a change of storage (S3) has a single call to adapt.

import Foundation

extension MediaStore {
    /// The bytes stored under `key`, looked for on the side the row says first and then on the
    /// other (a publish may have moved the file since the row was read); nil if on neither.
    func contents(of key: String, isPublic: Bool) -> [UInt8]? {
        for side in [isPublic, !isPublic] {
            if let data = FileManager.default.contents(atPath: path(for: key, isPublic: side)) { return Array(data) }
        }
        return nil
    }
}
