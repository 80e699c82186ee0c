// Prompts and blocklist entries brought to one comparable form, so that the usual disguises of
// a listed word still match it — case, accents, fullwidth or Cyrillic look-alike letters,
// leetspeak digits, letters spread out with separators — while matching stays at word
// boundaries, so an innocent word that merely contains a listed one does not.

import Foundation

enum PromptNormalizer {
    /// One word of the text: every form it may stand for (as written, look-alikes read as
    /// Latin, leetspeak read as letters, stretched letters collapsed).
    struct Word: Equatable {
        let forms: Set<String>
    }

    /// The text's words, in order. Text in scripts written without spaces (Chinese, Japanese)
    /// is matched by `compact`, not by words.
    static func words(_ text: String) -> [Word] {
        joinSpreadLetters(tokens(folded(text))).map { Word(forms: forms(of: $0)) }
    }

    /// The folded text without separators, for entries in scripts written without spaces.
    static func compact(_ text: String) -> String {
        String(folded(text).unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) }.map(Character.init))
    }

    /// The canonical spelling of one blocklist word: folded and with look-alikes read as Latin.
    static func canonical(_ word: String) -> String {
        readingLookAlikes(folded(word))
    }

    /// Compatibility forms unified (fullwidth and styled letters become plain ones), lower case,
    /// accents dropped.
    static func folded(_ text: String) -> String {
        let decomposed = text.precomposedStringWithCompatibilityMapping.lowercased().decomposedStringWithCompatibilityMapping
        return String(String.UnicodeScalarView(decomposed.unicodeScalars.filter { !combiningMarks.contains($0) }))
    }

    private static let combiningMarks = CharacterSet.nonBaseCharacters

    /// A run of letters, digits and the symbols leetspeak uses for letters, and what stood
    /// between it and the run before (anything else separates).
    private struct Token {
        var text: String
        var separator: String
    }

    private static func tokens(_ text: String) -> [Token] {
        var tokens: [Token] = [], current = "", separator = ""
        for scalar in text.unicodeScalars {
            if CharacterSet.alphanumerics.contains(scalar) || leet[Character(scalar)] != nil {
                current.unicodeScalars.append(scalar)
            } else {
                if !current.isEmpty {
                    tokens.append(Token(text: current, separator: separator))
                    current = ""
                    separator = ""
                }
                separator.unicodeScalars.append(scalar)
            }
        }
        if !current.isEmpty { tokens.append(Token(text: current, separator: separator)) }
        return tokens
    }

    /// "s e x", "s.e.x", "n*u*d*e": three or more one-character tokens in a row, with the same
    /// separator between each, are one word. In "a n.u.d.e" the "a" stands apart (another
    /// separator); in "a s e x" a leading "a" or "i" is read as the word it usually is.
    private static func joinSpreadLetters(_ tokens: [Token]) -> [String] {
        var joined: [String] = [], run: [Token] = []
        func flush() {
            defer { run = [] }
            guard run.count >= 3 else { joined += run.map(\.text); return }
            if run.count >= 4, ["a", "i"].contains(run[0].text) {
                joined.append(run[0].text)
                run.removeFirst()
            }
            joined.append(run.map(\.text).joined())
        }
        for token in tokens {
            guard token.text.count == 1 else {
                flush()
                joined.append(token.text)
                continue
            }
            if run.count >= 2, token.separator != run[1].separator {
                // Another separator: the run so far ends, and its last letter may start the next.
                let last = run.removeLast()
                flush()
                run = [last]
            }
            run.append(token)
        }
        flush()
        return joined
    }

    private static func forms(of token: String) -> Set<String> {
        // "nude!" is "nude" at the end of a sentence as well as "nudei" in leetspeak.
        let trimmed = token.trimmingCharacters(in: CharacterSet.alphanumerics.inverted)
        var forms: Set<String> = [token, readingLookAlikes(token), trimmed, readingLookAlikes(trimmed)]
        for form in Array(forms) where form.contains(where: { leet[$0] != nil }) {
            forms.formUnion(readingLeet(form))
        }
        for form in Array(forms) { forms.formUnion(collapsingStretches(form)) }
        return forms
    }

    /// Cyrillic and Greek letters drawn like Latin ones, read as those.
    private static func readingLookAlikes(_ token: String) -> String {
        String(token.map { lookAlikes[$0] ?? $0 })
    }

    /// Leetspeak read as letters. A digit that stands for two letters (1: i or l) gives both
    /// readings; at most 64 readings per word.
    private static func readingLeet(_ token: String) -> [String] {
        var readings = [""]
        for character in token {
            let options = leet[character] ?? [character]
            readings = Array(readings.flatMap { prefix in options.map { prefix + String($0) } }.prefix(64))
        }
        return readings
    }

    /// "seeeex" → "sex", "assss" → "ass": a letter written three or more times in a row is read
    /// once and twice. Letters written twice stay as they are ("ass", "cocoon").
    private static func collapsingStretches(_ token: String) -> [String] {
        var runs: [(character: Character, length: Int)] = []
        for character in token {
            if let last = runs.last, last.character == character { runs[runs.count - 1].length += 1 } else { runs.append((character, 1)) }
        }
        func reading(_ stretched: Int) -> String {
            String(runs.flatMap { Array(repeating: $0.character, count: $0.length >= 3 ? stretched : $0.length) })
        }
        return [reading(1), reading(2)]
    }

    static let leet: [Character: [Character]] = [
        "0": ["o"], "1": ["i", "l"], "3": ["e"], "4": ["a"], "5": ["s"], "7": ["t"], "8": ["b"], "9": ["g"],
        "@": ["a"], "$": ["s"], "!": ["i"], "|": ["l"], "+": ["t"], "€": ["e"],
    ]

    static let lookAlikes: [Character: Character] = [
        // Cyrillic
        "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c", "т": "t",
        "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "ԁ": "d", "ԛ": "q", "ԝ": "w", "һ": "h", "ɡ": "g",
        // Greek
        "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u",
        "χ": "x", "γ": "y",
    ]
}
