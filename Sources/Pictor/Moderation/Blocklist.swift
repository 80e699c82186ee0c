// The operator's list of words and phrases no prompt may contain, matched on normalised text at
// word boundaries (PromptNormalizer). One entry a line; `#` starts a comment.

import Foundation

struct Blocklist: Sendable {
    struct Entry: Sendable {
        /// As written in the file: what the log names as the rule.
        let text: String
        /// Its words, canonical.
        let words: [String]
        /// For scripts written without spaces: the entry without separators, matched anywhere.
        let compact: String?
    }

    let entries: [Entry]

    /// Phrases before single words, so the log names the most specific rule that matched.
    init(text: String) {
        let entries: [Entry] = text.split(whereSeparator: \.isNewline).compactMap { line in
            let entry = line.trimmingCharacters(in: .whitespaces)
            guard !entry.isEmpty, !entry.hasPrefix("#") else { return nil }
            let words = entry.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map { PromptNormalizer.canonical(String($0)) }
            guard !words.isEmpty else { return nil }
            let unspaced = entry.unicodeScalars.contains { Self.isUnspacedScript($0) }
            return Entry(text: entry, words: words, compact: unspaced ? PromptNormalizer.compact(entry) : nil)
        }
        self.entries = entries.enumerated().sorted { ($1.element.words.count, $0.offset) < ($0.element.words.count, $1.offset) }.map(\.element)
    }

    init(contentsOfFile path: String) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigError(description: "cannot read the moderation blocklist \(path)")
        }
        self.init(text: text)
    }

    /// The first entry the prompt contains, or nil.
    func match(_ prompt: String) -> Entry? {
        let words = PromptNormalizer.words(prompt)
        var compact: String?
        return entries.first { entry in
            if let pattern = entry.compact {
                compact = compact ?? PromptNormalizer.compact(prompt)
                return compact!.contains(pattern)
            }
            return Self.contains(words, entry.words)
        }
    }

    /// Whether the entry's words appear one after another among the prompt's.
    private static func contains(_ words: [PromptNormalizer.Word], _ phrase: [String]) -> Bool {
        guard words.count >= phrase.count else { return false }
        return (0...(words.count - phrase.count)).contains { start in
            phrase.indices.allSatisfy { offset in
                let forms = words[start + offset].forms, word = phrase[offset]
                // A plural is the word too: "nudes", "kisses".
                return forms.contains(word) || forms.contains(word + "s") || forms.contains(word + "es")
            }
        }
    }

    /// Han, Hiragana, Katakana, Thai and similar scripts put no spaces between words.
    private static func isUnspacedScript(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x3040...0x30FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF, 0x0E00...0x0E7F, 0x20000...0x2FFFF: true
        default: false
        }
    }
}
