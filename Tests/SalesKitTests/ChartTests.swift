import Testing
@testable import SalesKit

/// Charts with axes, values and legends (issue #16 point 10): round ticks in a readable unit,
/// every bar's value printed, a legend only for several series, the exact values for the table.
@Suite struct ChartTests {
    let wan = BarChart.Scale.of(.money, max: 87_000_000_000)
    let yuan = BarChart.Scale.of(.money, max: 850_000)
    let pieces = BarChart.Scale.of(.count("件"), max: 7)

    @Test func theUnitFollowsTheAmounts() {
        #expect(wan.unit == "万元" && wan.divisor == 1_000_000)
        #expect(BarChart.Scale.of(.money, max: 1_000_000).unit == "万元")     // 1 万元
        #expect(yuan.unit == "元" && yuan.divisor == 100)                       // 8,500 元
        #expect(pieces.unit == "件" && pieces.divisor == 1)
    }

    @Test func ticksAreRoundStepsOfOneTwoOrFiveCoveringTheLargestValue() {
        // 870 万元: 0, 200 … 1,000 万元.
        #expect(BarChart.ticks(max: 870_000_000, scale: wan) == [0, 200_000_000, 400_000_000, 600_000_000, 800_000_000, 1_000_000_000])
        // 8,500 元: steps of 2,000 元, up to 10,000 元.
        #expect(BarChart.ticks(max: 850_000, scale: yuan) == [0, 200_000, 400_000, 600_000, 800_000, 1_000_000])
        // 7 件: 0, 2, 4, 6, 8.
        #expect(BarChart.ticks(max: 7, scale: pieces) == [0, 2, 4, 6, 8])
        // 5 exactly is covered by steps of 1.
        #expect(BarChart.ticks(max: 5, scale: pieces) == [0, 1, 2, 3, 4, 5])
        // Nothing yet: one unit step (never a zero-height axis).
        #expect(BarChart.ticks(max: 0, scale: pieces) == [0, 1])
        // 1.5 万元: steps of 0.5 万元, labelled with one decimal.
        let small = BarChart.ticks(max: 1_500_000, scale: wan)
        #expect(small == [0, 500_000, 1_000_000, 1_500_000])
        #expect(small.map { BarChart.number($0, scale: wan, decimals: BarChart.decimals(step: 500_000, scale: wan)) } == ["0", "0.5", "1", "1.5"])
        // Whatever is stored, the axis ends: at most five steps past the value, no overflow.
        for v in [Int64.max, Int64.max / 3, 999_999_999_999] {
            let t = BarChart.ticks(max: v, scale: yuan)
            #expect(t.count >= 2 && t.count <= 20 && t == t.sorted())
        }
    }

    @Test func valuesAreRoundedInTheAxisUnit() {
        #expect(BarChart.number(12_345_678, scale: wan, decimals: 2) == "12.35")
        #expect(BarChart.number(10_000_000, scale: wan, decimals: 2) == "10")
        #expect(BarChart.number(123_456_789_000, scale: wan, decimals: 2) == "123,456.79")
        #expect(BarChart.number(999_999, scale: yuan, decimals: 0) == "10,000")
        #expect(BarChart.number(-150, scale: yuan, decimals: 0) == "-2")
    }

    @Test func theModelPrintsEveryValueAndHasALegendOnlyForSeveralSeries() {
        let one = BarChart(id: "m", title: "各月订货总额", measure: .money, categories: ["1月", "2月", "3月"],
                           series: [.init("订货总额", values: [12_345_678, 0, 30_000_000])])
        #expect(one.unitText == "单位：万元" && !one.hasLegend)
        #expect(one.ticks.map(\.label) == ["0", "10", "20", "30"])
        #expect(one.groups.map(\.label) == ["1月", "2月", "3月"])
        #expect(one.groups.flatMap(\.bars).map(\.value) == ["12.35", "", "30"])
        #expect(one.groups[0].bars[0].title == "1月：订货总额 ¥123,456.78")
        #expect(one.rows.map(\.cells) == [["¥123,456.78"], ["¥0.00"], ["¥300,000.00"]])
        // The tallest bar reaches the top tick; a zero bar has no height.
        #expect(one.groups[2].bars[0].y == one.ticks[3].y && one.groups[1].bars[0].h == "0.0")

        let two = BarChart(id: "i", title: "提交与采用", measure: .count("件"), categories: ["市场部"],
                           series: [.init("提交", values: [4]), .init("采用", values: [2])])
        #expect(two.hasLegend && two.legend.map(\.name) == ["提交", "采用"] && two.seriesNames == ["提交", "采用"])
        #expect(two.groups[0].bars.map(\.value) == ["4", "2"] && two.groups[0].bars[0].fill != two.groups[0].bars[1].fill)
        #expect(two.rows == [BarChart.Row(label: "市场部", cells: ["4 件", "2 件"])])
    }
}
