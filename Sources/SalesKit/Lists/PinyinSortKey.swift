import Foundation
import Synchronization

/// A sort key for a Chinese name whose plain byte order (SQLite `BINARY`, PostgreSQL
/// `COLLATE "C"`, Swift `String <` on the UTF-8 bytes) is 拼音 order, as people know it from
/// 金蝶/用友 lists and phone contacts: 北京… before 广州… before 上海… before 深圳… before 张家港….
///
/// ```swift
/// PinyinSortKey.make("上海亚凯")        // "shang hai ya kai \t4343\t上海亚凯"
/// rows.sortedByPinyin { $0.string("display_name") ?? "" }   // a small list, sorted in Swift
/// ```
///
/// The key is three segments separated by a tab (which sorts below everything in the first two):
/// 1. **Letters.** The name read as words, each followed by a space (so 西安 `xi an ` comes before
///    先 `xian `, and 北 before 北京):
///    - each Han character is its toneless 拼音 syllable (ü as u): 上海 → `shang hai `;
///    - a run of Latin letters is one lowercased word (`ABB` → `abb `; full-width letters and
///      accented ones as their plain letters), so ABB（中国）有限公司 files under A with 阿里巴巴,
///      interleaved with the Chinese names as in a phone's contacts;
///    - a run of digits is one word compared as a number (第2分公司 before 第10分公司): its digit
///      count (two digits) and its digits without leading zeros. Digits sort before every letter;
///    - a Han character without a reading in ICU (rare characters of the supplementary planes)
///      is `~` and its code point: after every letter, in code-point order;
///    - everything else (spaces, punctuation, brackets, quotes, `&`, symbols) is not read:
///      上海"华信"机械 sorts as 上海华信机械. Other scripts (Cyrillic, kana …) are read as ICU
///      writes them in Latin letters.
/// 2. **Tones**: one digit per Han character, 1–4 and 5 for the neutral tone, +5 for ü
///    syllables (吕 lǚ after 卢 lú of the same letters): 山西 before 陕西 (`shan xi`, tones 11 < 31).
/// 3. **The name itself**, as given: the last tie-break, so keys are deterministic and two
///    different names never have equal keys (the same letters and tones in another case or with
///    other punctuation still order one way, by their bytes).
///
/// Readings come from ICU's Han → Latin transform (`.mandarinToLatin`), one character at a time
/// (cached; a whole name at once costs ~130 µs per character, a cached character nothing), so
/// a polyphone reads as ICU reads it alone: 重 zhòng, 长 zhǎng, 行 xíng, 厦 shà, 曾 céng. Those
/// that matter most for company names are read by `words` when they appear as a whole place
/// name or word (重庆 chóng qìng, 长沙 cháng shā, 厦门 xià mén, 银行 yín háng …); elsewhere the limit
/// stays: 重型机械 is `zhong xing` (right), but 长城 outside `words` would be `zhang cheng`. Surnames
/// read as their common character (曾 céng, not zēng; 单 dān, not shàn).
///
/// Keys change only with this code (or the ICU data of the toolchain); a change to either means
/// refilling the stored keys (`crm_customers.name_sort`: set it NULL and restart, see
/// 客户开发's `NameSort`).
public enum PinyinSortKey {
    /// The sort key of `name` (see the type's description).
    public static func make(_ name: String) -> String {
        var letters = ""
        var tones = ""
        var latin = ""       // the Latin word being read
        var digits = ""      // the number being read
        func endWord() {
            if !latin.isEmpty { letters += latin + " "; latin = "" }
            if !digits.isEmpty {
                var d = Substring(digits.drop { $0 == "0" })
                if d.isEmpty { d = "0" }
                let count = min(d.count, 99)
                letters += (count < 10 ? "0" : "") + String(count) + d + " "
                digits = ""
            }
        }
        let scalars = Array(name.precomposedStringWithCompatibilityMapping.unicodeScalars)
        var i = 0
        while i < scalars.count {
            let s = scalars[i]
            if isHan(s) {
                endWord()
                // A known word starting here (longest first), else the character alone.
                var matched = false
                for n in stride(from: min(Self.longestWord, scalars.count - i), through: 2, by: -1) {
                    var w = String.UnicodeScalarView()
                    w.append(contentsOf: scalars[i..<(i + n)])
                    if let readings = Self.words[String(w)] {
                        for r in readings { letters += r.letters + " "; tones.append(r.tone) }
                        i += n
                        matched = true
                        break
                    }
                }
                if matched { continue }
                let r = reading(s)
                letters += r.letters + " "
                tones.append(r.tone)
            } else if s.isASCII, s.properties.isAlphabetic {
                if !digits.isEmpty { endWord() }
                latin += String(s).lowercased()
            } else if s.isASCII, ("0"..."9").contains(s) {
                if !latin.isEmpty { endWord() }
                digits.unicodeScalars.append(s)
            } else if s.properties.isAlphabetic {
                // Accented or other-script letters: their Latin letters join the Latin word.
                let plain = latinLetters(s)
                if plain.isEmpty { endWord() } else {
                    if !digits.isEmpty { endWord() }
                    latin += plain
                }
            } else {
                endWord()
            }
            i += 1
        }
        endWord()
        return letters + "\t" + tones + "\t" + name
    }

    /// Han characters: the unified ideographs of every plane (and their compatibility forms,
    /// which the compatibility mapping has already unified), and 〇.
    static func isHan(_ s: Unicode.Scalar) -> Bool {
        s.properties.isUnifiedIdeograph || s.value == 0x3007
    }

    struct Reading: Sendable {
        var letters: String
        var tone: Character
    }

    /// Whole words read otherwise than their characters alone (the most common polyphones in
    /// place and company names). Tone digits as in the key.
    static let words: [String: [Reading]] = {
        let table: [(String, String)] = [
            ("重庆", "chong2 qing4"), ("长沙", "chang2 sha1"), ("长春", "chang2 chun1"), ("长江", "chang2 jiang1"),
            ("长城", "chang2 cheng2"), ("长安", "chang2 an1"), ("长治", "chang2 zhi4"), ("长兴", "chang2 xing1"),
            ("长宁", "chang2 ning2"), ("长乐", "chang2 le4"), ("厦门", "xia4 men2"), ("银行", "yin2 hang2"),
            ("蚌埠", "beng4 bu4"), ("六安", "lu4 an1"), ("丽水", "li2 shui3"), ("乐清", "yue4 qing1"),
            ("台州", "tai1 zhou1"), ("天台", "tian1 tai1"), ("莘县", "shen1 xian4"), ("番禺", "pan1 yu2"),
            ("东莞", "dong1 guan3"),
        ]
        var words: [String: [Reading]] = [:]
        for (word, spelled) in table {
            words[word] = spelled.split(separator: " ").map { syllable in
                Reading(letters: String(syllable.dropLast()), tone: syllable.last ?? "5")
            }
        }
        return words
    }()
    static let longestWord = 2

    private static let readings = Mutex<[UInt32: Reading]>([:])

    /// The reading of one Han character (ICU's, cached).
    static func reading(_ s: Unicode.Scalar) -> Reading {
        if let r = readings.withLock({ $0[s.value] }) { return r }
        let r = read(String(s).applyingTransform(.mandarinToLatin, reverse: false) ?? "", scalar: s)
        readings.withLock { $0[s.value] = r }
        return r
    }

    /// Letters and tone of ICU's reading (`zhòng` → `zhong`, 4; `lǚ` → `lu`, 3 + 5).
    static func read(_ latin: String, scalar: Unicode.Scalar) -> Reading {
        var letters = ""
        var tone = 5
        var umlaut = false
        for u in latin.decomposedStringWithCanonicalMapping.unicodeScalars {
            switch u.value {
            case 0x61...0x7A: letters.unicodeScalars.append(u)
            case 0x41...0x5A: letters += String(u).lowercased()
            case 0x304: tone = 1
            case 0x301: tone = 2
            case 0x30C: tone = 3
            case 0x300: tone = 4
            case 0x308: umlaut = true
            default: break
            }
        }
        if letters.isEmpty {
            // No reading: after every letter, by code point.
            let hex = String(scalar.value, radix: 16, uppercase: true)
            return Reading(letters: "~" + String(repeating: "0", count: max(0, 6 - hex.count)) + hex, tone: "5")
        }
        let digit = tone + (umlaut ? 5 : 0)
        return Reading(letters: letters, tone: digit == 10 ? ":" : Character(String(digit)))
    }

    private static let latinCache = Mutex<[UInt32: String]>([:])

    /// The plain lowercase Latin letters of a non-ASCII letter (é → e, Ж → zh), or "".
    static func latinLetters(_ s: Unicode.Scalar) -> String {
        if let l = latinCache.withLock({ $0[s.value] }) { return l }
        let t = (String(s).applyingTransform(.toLatin, reverse: false) ?? "")
            .applyingTransform(.stripDiacritics, reverse: false) ?? ""
        let l = String(String.UnicodeScalarView(t.lowercased().unicodeScalars.filter { (0x61...0x7A).contains($0.value) }))
        latinCache.withLock { $0[s.value] = l }
        return l
    }
}

extension Sequence {
    /// The elements in 拼音 order of `name` (`PinyinSortKey`), each key computed once: for
    /// short lists of people, departments or choices read from the database.
    public func sortedByPinyin(_ name: (Element) throws -> String) rethrows -> [Element] {
        try map { (key: PinyinSortKey.make(try name($0)), element: $0) }
            .sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            .map(\.element)
    }
}
