// Versioned URLs for files in public/: nginx caches /static/ for a year, so each link carries
// a hash of the file's content and changes exactly when the file does.

import Codecs
import Crypto
import Foundation

struct StaticAssets: Sendable {
    let stylesheetURL: String
    let iconURL: String
    let generationScriptURL: String
    let galleryScriptURL: String
    let generateScriptURL: String
    /// The icon sprite pages reference with `<use href="…#name">`.
    let iconsURL: String

    init(publicDirectory: String) {
        stylesheetURL = Self.versionedURL("pictor.css", in: publicDirectory)
        iconURL = Self.versionedURL("favicon.svg", in: publicDirectory)
        generationScriptURL = Self.versionedURL("generation.js", in: publicDirectory)
        galleryScriptURL = Self.versionedURL("gallery.js", in: publicDirectory)
        generateScriptURL = Self.versionedURL("generate.js", in: publicDirectory)
        iconsURL = Self.versionedURL("icons.svg", in: publicDirectory)
    }

    /// `/static/name?v=<first 12 hex digits of SHA-256>`; without the file, the plain URL.
    static func versionedURL(_ name: String, in directory: String) -> String {
        guard let data = FileManager.default.contents(atPath: directory + "/" + name) else { return "/static/" + name }
        return "/static/\(name)?v=" + Hex.encode(Crypto.sha256(Array(data))).prefix(12)
    }
}
