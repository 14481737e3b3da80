import Testing
@testable import SalesKit

/// Issue #16 point 10: names in 拼音 order (as 金蝶/用友 lists them), by the byte order of
/// `PinyinSortKey.make` — the order SQLite (BINARY) and PostgreSQL (COLLATE "C") use for the
/// stored key.
@Suite struct PinyinSortKeyTests {
    func byteSorted(_ names: [String]) -> [String] {
        names.map { (PinyinSortKey.make($0), $0) }
            .sorted { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
            .map(\.1)
    }

    @Test func companiesInPinyinOrderNotCodePointOrder() {
        let expected = ["北京燕山石化有限公司", "广州白云电器设备股份有限公司", "杭州汽轮机股份有限公司", "南京钢铁集团有限公司",
                        "上海亚凯机械有限公司", "深圳华强电子有限公司", "苏州华信机械有限公司", "无锡小天鹅电器有限公司",
                        "张家港沙钢集团有限公司"]
        // Code-point order puts 上 (U+4E0A) first and 北 (U+5317) after 南 and 广: the old order.
        #expect(expected.sorted().first == "上海亚凯机械有限公司")
        for _ in 0..<3 { #expect(byteSorted(expected.shuffled()) == expected) }
        #expect(Array(["张家港", "深圳", "上海", "广州", "北京"].sortedByPinyin { $0 }) == ["北京", "广州", "上海", "深圳", "张家港"])
    }

    @Test func peopleBySurnameThenGivenName() {
        let expected = ["陈静", "李明", "李娜", "刘洋", "王芳", "王建国", "王伟", "张伟", "赵丽"]
        #expect(byteSorted(expected.reversed()) == expected)
    }

    @Test func theKeyIsPinyinThenTonesThenTheNameItself() {
        #expect(PinyinSortKey.make("上海亚凯") == "shang hai ya kai \t4343\t上海亚凯")
        // A syllable before a longer one it starts: 西安 (xi an) before 先 (xian), 北 before 北京.
        #expect(byteSorted(["先锋", "西安", "北京", "北"]) == ["北", "北京", "西安", "先锋"])
        // Same letters: the tones decide (山西 shān xī before 陕西 shǎn xī), then the name.
        #expect(byteSorted(["陕西重工", "山西重工"]) == ["山西重工", "陕西重工"])
        #expect(PinyinSortKey.make("ABB") != PinyinSortKey.make("abb"))
        #expect(byteSorted(["abb", "ABB"]) == ["ABB", "abb"])
        // ü after u of the same letters (卢 lú, 吕 lǚ).
        #expect(byteSorted(["吕", "卢"]) == ["卢", "吕"])
    }

    @Test func digitsLatinPunctuationAndUnreadableCharacters() {
        // Digits first, as numbers; Latin words among the Chinese names by their letters (阿里 `a li`
        // before ABB `abb` before 安徽 `an hui`);
        // punctuation and brackets are not read; a character ICU cannot read comes last.
        let expected = ["3M中国有限公司", "阿里巴巴", "ABB（中国）有限公司", "安徽海螺", "第2分公司", "第10分公司",
                        "上海\"华信\"机械", "上海华信机械", "Siemens西门子", "𠀋记"]
        #expect(byteSorted(expected.reversed()) == expected)
        // Full-width letters read as their plain letters.
        #expect(PinyinSortKey.make("ＡＢＢ").hasPrefix("abb \t"))
    }

    /// The limit: a polyphone reads as ICU reads the character alone, except in the known words.
    @Test func polyphonesAsKnownWordsElseAsICUReadsTheCharacter() {
        #expect(PinyinSortKey.make("重庆钢铁").hasPrefix("chong qing gang tie \t"))
        #expect(PinyinSortKey.make("长沙重工").hasPrefix("chang sha zhong gong \t"))
        #expect(PinyinSortKey.make("厦门银行").hasPrefix("xia men yin hang \t"))
        #expect(PinyinSortKey.make("长").hasPrefix("zhang \t"))     // alone: ICU's zhǎng
        #expect(byteSorted(["重庆钢铁", "长沙重工", "北京"]) == ["北京", "长沙重工", "重庆钢铁"])
    }

    @Test func distinctNamesNeverHaveEqualKeys() {
        let names = ["上海华信", "上海 华信", "上海\"华信\"", "上海華信", "上海华信 ", "shanghai", "Shanghai", ""]
        #expect(Set(names.map(PinyinSortKey.make)).count == names.count)
        #expect(PinyinSortKey.make("上海华信") == PinyinSortKey.make("上海华信"))
    }
}
