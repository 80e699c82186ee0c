// The data of one realistic /gallery page, the same for every engine: 24 images as the
// database returns them, the page's own values and what every page shares.

import Foundation

/// One generation as GalleryPages.tile reads it (URLs as Generation.url makes them).
struct Item {
    enum Status: String { case queued, running, succeeded, failed }

    let id: String
    let status: Status
    let prompt: String
    let model: String
    let created: String
    let thumbURL: String?
    let thumbLargeURL: String?
    let imageURL: String?
    let downloadName: String?
    let favorite: Bool
    let isPublic: Bool
    let shareURL: String?

    /// A mix like a real gallery: mostly finished private images, some public and starred, one
    /// still running and one failed; a few prompts with characters that need escaping.
    static func sample(_ index: Int) -> Item {
        let id = String(format: "%08x-%04x-4bbb-8ccc-5ddd6eee7fff", 0x1a2b_0000 + index * 7919, index)
        let subjects = ["fox", "whale", "lighthouse", "forest", "city"]
        var prompt = "seeded image \(index) of a \(subjects[index % 5]) at dusk, soft light, 35mm"
        if index % 4 == 1 { prompt += " & \"film grain\" <vintage>" }
        let status: Status = index == 2 ? .running : index == 9 ? .failed : .succeeded
        let isPublic = status == .succeeded && index % 5 == 0
        let key = "aa/" + id.replacingOccurrences(of: "-", with: "")
        func url(_ file: String, _ suffix: String) -> String? {
            guard status == .succeeded else { return nil }
            return isPublic ? "/media/" + key + suffix : "/generations/" + id + "/" + file
        }
        return Item(id: id, status: status, prompt: prompt, model: index % 3 == 0 ? "sdxl" : "flux-schnell",
                    created: "\(1 + index % 28) Nov 2026", thumbURL: url("thumbnail", "-256.webp"),
                    thumbLargeURL: url("thumbnail-large", "-512.webp"), imageURL: url("image", ".png"),
                    downloadName: status == .succeeded ? "pictor-" + id.prefix(8) + ".png" : nil,
                    favorite: index % 3 == 0, isPublic: isPublic,
                    shareURL: isPublic ? "https://pictor.example.com/generations/" + id : nil)
    }
}

/// What the page itself shows: GalleryPages.gallery's values plus what RequestContext.page
/// and Views.page add (the user, the CSRF token, the year).
struct PageData {
    let title = "Your gallery"
    let email = "someone@example.com"
    let credits = "1,234"
    let csrfToken = "2UaD-WpvdfX1-RuJ82qEYmYIuUp1ncXHzO1i_TzYnt0"
    let models = ["flux-schnell", "sdxl"]
    let olderURL = "/gallery?cursor=1764000000000000_1a2b0000-0000-4bbb-8ccc-5ddd6eee7fff"
    let back = "/gallery"
    let year = 2026
}

/// What every page shows (Views.init): set once per process.
struct SiteData {
    let siteName = "Pictor"
    let operatorName = "Pictor Ltd"
    let contactEmail = "hello@pictor.example.com"
    let legalUpdated = "1 Nov 2026"
    let signupBonus = 50
    let stylesheetURL = "/static/pictor.css?v=0123456789ab"
    let iconURL = "/static/favicon.svg?v=0123456789ab"
    let generationJSURL = "/static/generation.js?v=0123456789ab"
    let galleryJSURL = "/static/gallery.js?v=0123456789ab"
    let iconsURL = "/static/icons.svg?v=0123456789ab"
}

let items = (0..<24).map(Item.sample)
let page = PageData()
let site = SiteData()
