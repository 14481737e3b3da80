import Foundation
import SalesKit

/// The bound of a customer's money figures (capital, sales, profit, targets, credit limit):
/// ¥1 万亿 (10¹⁴ 分). Above FormSchema's default money bound (¥1000 万), which a large customer's
/// figures exceed; these fields are shown and compared, never multiplied (issue 12).
enum CustomerAmounts {
    static let max: Int64 = 100_000_000_000_000
}

/// 客户资料表 (002 第九章 第三节 一、1.), declared once and grouped in the sections of the
/// paper form. Option lists are the ones printed on the form, valued by their printed number
/// (`1.积极 2.保守 …` → "1", "2", …). Fields whose labels share a `前缀·` (店保·商号, 员工情况·店员)
/// are one group on the paper and are shown as one small table.
enum ProfileForm {
    struct Section: Sendable {
        /// Empty for the closing items that stand on their own (经销合约, 结论, 最高信用程度 …).
        let title: String
        let fields: [FormField]
    }

    /// `["积极", "保守"]` → choices valued "1", "2", as numbered on the paper form.
    static func numbered(_ labels: [String]) -> [Choice] {
        labels.enumerated().map { Choice(String($0.offset + 1), $0.element) }
    }

    static let short: [FieldRule] = [.length(min: nil, max: 50)]
    static let medium: [FieldRule] = [.length(min: nil, max: 200)]
    static let long: [FieldRule] = [.length(min: nil, max: 2000)]
    static let percent: [FieldRule] = [.range(0, 100)]
    static let headcount: [FieldRule] = [.range(0, 100_000)]
    static let amount: [FieldRule] = [.range(0, CustomerAmounts.max)]
    /// 居民身份证号: 18 characters (the last may be X) or the old 15 digits.
    static let idNumber: [FieldRule] = [.pattern("[0-9]{17}[0-9Xx]|[0-9]{15}", message: "身份证号应为 18 位（末位可为 X）或 15 位数字")]

    /// 填写日期 heads the paper form, next to 客户 / 地址 / 电话 (from the customer master).
    static let filledOn = FormField("filled_on", "填写日期", .date, required: true, rules: [.notInFuture])

    static let sections: [Section] = [
        Section(title: "经营者概况", fields: [
            FormField("op_name", "姓名", rules: short),
            FormField("op_gender", "性别", .select([Choice("m", "男"), Choice("f", "女")])),
            FormField("op_age", "年龄", .integer, rules: [.range(16, 100)]),
            FormField("op_native_place", "籍贯", rules: short),
            FormField("op_education", "学历", rules: short),
            FormField("op_language", "语言", rules: short),
            FormField("op_temperament", "性情", rules: medium),
            FormField("op_character", "品性", rules: medium),
            FormField("op_reputation", "以往信誉", rules: medium),
            FormField("legal_rep", "法人代表", rules: short),
            FormField("controller", "实权者", rules: short),
            FormField("controller_relation", "与经营者关系", rules: short),
        ]),
        Section(title: "金融状况", fields: [
            FormField("bank", "往来银行", rules: [.length(min: nil, max: 100)]),
            FormField("account", "帐号", rules: [.pattern("[0-9][0-9 \\-]{3,39}", message: "帐号只能包含数字、空格和短横线")]),
            FormField("bank_notes", "记事", rules: medium),
            FormField("cashing", "兑现情况", rules: medium),
            FormField("funds", "资金状况", rules: medium),
            FormField("payment_attitude", "付款态度", rules: medium),
            FormField("finance_notes", "其他说明", .textarea, rules: long),
        ]),
        Section(title: "经营概况", fields: [
            FormField("policy", "经营方针", .select(numbered(["积极", "保守", "坚实", "平常", "零乱", "投机"]))),
            FormField("business_status", "业务状况", .select(numbered(["兴隆", "渐盛", "常态", "衰退", "危险"]))),
            FormField("business_type", "营业种类", rules: [.length(min: nil, max: 100)]),
            FormField("suppliers", "进货对象", .rows(FormSchema([
                FormField("brand", "牌", required: true, rules: short),
                FormField("share", "占（%）", .integer, rules: percent),
            ]), minRows: 0, blankRows: 3)),
            FormField("sales_retail_pct", "销售种类·门市（%）", .integer, rules: percent),
            FormField("sales_institution_pct", "销售种类·机关（%）", .integer, rules: percent),
            FormField("sales_wholesale_pct", "销售种类·批发（%）", .integer, rules: percent),
            FormField("sales_other_pct", "销售种类·其它（%）", .integer, rules: percent),
            FormField("sales_area", "销售范围", .select(numbered(["本地", "其它"]))),
            FormField("price_level", "销售价格", .select(numbered(["合理", "略低", "略高", "削价"]))),
            FormField("business_nature", "营业性质", .select(numbered(["专营", "兼营"]))),
            FormField("avg_monthly_sales", "每月平均销售实绩", .money, rules: amount),
            FormField("peak_purchase", "每月平均销售力·最高月额·进货", .money, rules: amount),
            FormField("low_purchase", "每月平均销售力·最低月额·进货", .money, rules: amount),
            FormField("peak_sales", "每月平均销售力·最高月额·销售", .money, rules: amount),
            FormField("low_sales", "每月平均销售力·最低月额·销售", .money, rules: amount),
            FormField("peak_stock", "每月平均销售力·最高月额·存货", .money, rules: amount),
            FormField("low_stock", "每月平均销售力·最低月额·存货", .money, rules: amount),
        ]),
        Section(title: "一般概况", fields: [
            FormField("organization", "组织", .select(numbered(["独资", "合资", "股份企业"]))),
            FormField("store_size", "门市面积", .select(numbered(["大", "中", "小"]))),
            FormField("opened_on", "开业时间", .date, rules: [.notInFuture]),
            FormField("store_layout", "门市布置", .select(numbered(["好", "普通", "可以", "不好"]))),
            FormField("warehouse", "仓库", .select(numbered(["大", "中", "小", "无"]))),
            FormField("return_habit", "退货习惯", .select(numbered(["无", "合理", "不正常", "正常"]))),
            FormField("financial_mgmt", "财务管理", .select(numbered(["佳", "普通", "劣", "无"]))),
            FormField("stock_mgmt", "存货管理", .select(numbered(["佳", "可以", "一般", "劣"]))),
            FormField("shop", "店铺·自有或租用", .select(numbered(["自有", "租用"]))),
            FormField("shop_value", "店铺·市价（自有）", .money, rules: amount),
            FormField("shop_rent", "店铺·租金（租用）", .money, rules: amount),
            FormField("shop_site", "店址", .select(numbered(["闹市", "商店街", "住宅街", "工矿区", "郊区"]))),
            FormField("vehicles", "车辆", .multiSelect(numbered(["轿车", "大卡车", "三轮车", "摩托车"]))),
            FormField("standing", "同行业中地位", .select(numbered(["领导力", "具影响力", "一流", "二流", "三流"]))),
            FormField("staff_clerks", "员工情况·店员（名）", .integer, rules: headcount),
            FormField("staff_salesmen", "员工情况·推销员（名）", .integer, rules: headcount),
            FormField("staff_repairers", "员工情况·修理员（名）", .integer, rules: headcount),
            FormField("staff_temps", "员工情况·临时工（名）", .integer, rules: headcount),
            FormField("brand_awareness", "对国际名牌认知程度", .select(numbered(["了解", "略知", "熟知", "不知", "颇感兴趣"]))),
            FormField("recent_change", "最近半年来实绩变化", .textarea, rules: long),
            FormField("forecast", "以往每月平均实绩概况预测", .textarea, rules: long),
            FormField("special_relations", "与其他厂家的特殊关系", .textarea, rules: long),
        ]),
        Section(title: "保全关系", fields: [
            FormField("collaterals", "担保品", .rows(FormSchema([
                FormField("name", "名称", required: true, rules: short),
                FormField("owner", "所有权者", rules: short),
                FormField("notes", "记事", rules: medium),
                FormField("registered_value", "登记价格", .money, rules: amount),
                FormField("actual_value", "实际价格", .money, rules: amount),
                FormField("procedure", "抵押手续", rules: medium),
            ]), minRows: 0, blankRows: 2)),
            FormField("guarantor_firm", "店保·商号", rules: [.length(min: nil, max: 100)]),
            FormField("guarantor_capital", "店保·资本额", .money, rules: amount),
            FormField("guarantor_license", "店保·营业执照号",
                      rules: [.pattern("[0-9A-Za-z\\-]{6,30}", message: "营业执照号只能包含字母、数字和短横线（6–30 位）")]),
            FormField("guarantor_address", "店保·店址", rules: medium),
            FormField("guarantor_head", "店保·负责人", rules: short),
            FormField("guarantor_head_id", "店保·身份证", rules: idNumber),
            FormField("guarantor_procedure", "店保·担保手续", rules: medium),
            FormField("personal_guarantors", "个人保", .rows(FormSchema([
                FormField("name", "姓名", required: true, rules: short),
                FormField("id_number", "身份证号", rules: idNumber),
                FormField("address", "住址", rules: medium),
                FormField("notes", "记事", rules: medium),
                FormField("procedure", "担保手续", rules: medium),
            ]), minRows: 0, blankRows: 2)),
        ]),
        Section(title: "", fields: [
            FormField("dealer_contract", "经销合约", .textarea, rules: long),
            FormField("credit_agency", "资信机构提供资料", .textarea, rules: long),
            FormField("conclusion", "结论", .textarea, rules: long),
            FormField("credit_limit", "最高信用程度", .money, rules: amount, help: "对该客户的最高授信额度（元）"),
            FormField("surveyor", "调查或填表者", required: true, rules: [.length(min: 1, max: 100)]),
        ]),
    ]

    /// The whole form: 填写日期, then every section's fields in paper order.
    static let schema = FormSchema([filledOn] + sections.flatMap(\.fields), checks: [
        { v in
            // Shares of the 进货对象 are parts of one whole.
            let total = v.rows("suppliers").reduce(Int64(0)) { $0 + ($1.int("share") ?? 0) }
            return total > 100 ? [FormError(field: "suppliers", "进货对象所占比例合计不能超过 100%")] : []
        },
        { v in
            let total = ["sales_retail_pct", "sales_institution_pct", "sales_wholesale_pct", "sales_other_pct"]
                .reduce(Int64(0)) { $0 + (v.int($1) ?? 0) }
            return total > 100 ? [FormError(field: "sales_other_pct", "销售种类比例合计不能超过 100%")] : []
        },
        { v in
            // 最低月额 cannot exceed 最高月额 for the same measure.
            [("purchase", "进货"), ("sales", "销售"), ("stock", "存货")].compactMap { key, title in
                guard let peak = v.money("peak_" + key), let low = v.money("low_" + key), low > peak else { return nil }
                return FormError(field: "low_" + key, "\(title)的最低月额不能大于最高月额")
            }
        },
        { v in
            // 1.自有 … 市价  2.租用 … 租金: the amount belongs to the tenure ticked.
            var errors: [FormError] = []
            if v.money("shop_value") != nil && v.string("shop") == "2" { errors.append(FormError(field: "shop_value", "租用的店铺请填写租金，不填市价")) }
            if v.money("shop_rent") != nil && v.string("shop") == "1" { errors.append(FormError(field: "shop_rent", "自有的店铺请填写市价，不填租金")) }
            return errors
        },
        { v in
            // A 店保 is identified by its 商号.
            let others = ["guarantor_capital", "guarantor_license", "guarantor_address", "guarantor_head", "guarantor_head_id",
                          "guarantor_procedure"]
            return v.optionalString("guarantor_firm") == nil && others.contains { v.optionalString($0) != nil }
                ? [FormError(field: "guarantor_firm", "填写店保时请填写商号")] : []
        },
    ])

    /// The section a top-level field belongs to ("" for 填写日期 and the closing items).
    static let sectionOf: [String: String] = {
        var out: [String: String] = [filledOn.name: "填写日期"]
        for s in sections { for f in s.fields { out[f.name] = s.title.isEmpty ? f.label : s.title } }
        return out
    }()

    /// Only the form's own fields, without blank values and blank rows, rows renumbered from 0,
    /// in the form's own encoding (rows as `suppliers.0.brand`).
    static func stored(_ raw: FormData) -> String {
        var kept = FormData()
        for field in schema.fields {
            if case .rows(let rowSchema, _, _) = field.kind {
                var n = 0
                for index in rowIndexes(field.name, raw) {
                    let prefix = "\(field.name).\(index)."
                    let cells = rowSchema.fields.map { ($0.name, trimmed(raw[prefix + $0.name])) }
                    guard cells.contains(where: { !$0.1.isEmpty }) else { continue }
                    for (name, value) in cells where !value.isEmpty { kept.append("\(field.name).\(n).\(name)", value) }
                    n += 1
                }
            } else {
                for value in raw.all(field.name).map(trimmed) where !value.isEmpty { kept.append(field.name, value) }
            }
        }
        return URLEncoding.encode(kept)
    }

    static func trimmed(_ s: String?) -> String { (s ?? "").trimmingCharacters(in: CharacterSet(charactersIn: " \t\r\n\u{3000}")) }

    static func rowIndexes(_ name: String, _ raw: FormData) -> [Int] {
        let p = name + "."
        var set = Set<Int>()
        for n in raw.names where n.hasPrefix(p) {
            let rest = n.dropFirst(p.count)
            if let dot = rest.firstIndex(of: "."), let i = Int(rest[..<dot]), i >= 0, i < 1000 { set.insert(i) }
        }
        return set.sorted()
    }

    /// Titles of the sections whose values differ between two stored versions (for the audit).
    static func changedSections(_ old: FormData, _ new: FormData) -> [String] {
        var titles: [String] = []
        for field in schema.fields {
            let a = old.pairs.filter { $0.name == field.name || $0.name.hasPrefix(field.name + ".") }
            let b = new.pairs.filter { $0.name == field.name || $0.name.hasPrefix(field.name + ".") }
            guard FormData(a) != FormData(b), let title = sectionOf[field.name], !titles.contains(title) else { continue }
            titles.append(title)
        }
        return titles
    }

    // MARK: Display

    /// The sections for display (`paper == false`: values only) or print (`paper == true`: every
    /// option shown with the chosen ones ticked, rows tables padded with blank lines to write on).
    /// Two plain fields share a line (label, value, label, value); long text, rows and groups
    /// take a whole line.
    static func display(_ data: FormData, paper: Bool) -> [ProfileSection] {
        let views = schema.blank(data).view().fields
        let byName = Dictionary(views.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        return sections.map { section in
            var cells: [ProfileSection.Cell] = []
            var i = 0
            let fields = section.fields
            while i < fields.count {
                let f = fields[i]
                let view = byName[f.name]
                if let dot = f.label.firstIndex(of: "·") {
                    // A group: consecutive fields with the same prefix, as one small table.
                    let prefix = String(f.label[..<dot])
                    var members: [FieldView] = []
                    while i < fields.count, fields[i].label.hasPrefix(prefix + "·") {
                        if let m = byName[fields[i].name] { members.append(m) }
                        i += 1
                    }
                    let columns = members.map { String($0.label.dropFirst(prefix.count + 1)) }
                    let values = members.map { m -> String in
                        guard !m.options.isEmpty else { return value(m) }
                        return paper ? m.options.map { ($0.selected ? "☑" : "☐") + $0.label }.joined(separator: " ") : choiceLabels(m.options)
                    }
                    let rows = paper || values.contains(where: { !$0.isEmpty }) ? [values] : []
                    cells.append(.init(label: prefix, wide: true, table: (columns, rows)))
                    continue
                }
                i += 1
                switch f.kind {
                case .rows(_, _, _):
                    let columns = (view?.columns ?? []).map(\.label)
                    var rows = (view?.rows ?? []).compactMap { row -> [String]? in
                        let values = row.cells.map { value($0.value, isMoney: $0.isMoney) }
                        return values.allSatisfy(\.isEmpty) ? nil : values
                    }
                    if paper { while rows.count < 3 { rows.append(columns.map { _ in "" }) } }
                    cells.append(.init(label: f.label, wide: true, table: (columns, rows)))
                case .select(_), .multiSelect(_):
                    let options = view?.options ?? []
                    var c = ProfileSection.Cell(label: f.label, wide: false, table: nil)
                    c.value = choiceLabels(options)
                    c.hasChoices = paper
                    c.choices = options.map { .init(label: $0.label, selected: $0.selected) }
                    cells.append(c)
                case .textarea:
                    var c = ProfileSection.Cell(label: f.label, wide: true, table: nil)
                    c.value = view.map(value) ?? ""
                    cells.append(c)
                default:
                    var c = ProfileSection.Cell(label: f.label, wide: false, table: nil)
                    c.value = view.map(value) ?? ""
                    cells.append(c)
                }
            }
            return ProfileSection(title: section.title, hasTitle: !section.title.isEmpty, lines: lines(cells))
        }
    }

    /// Packs cells two to a line; a plain cell left alone on its line spans the line.
    static func lines(_ cells: [ProfileSection.Cell]) -> [ProfileSection.Line] {
        var out: [ProfileSection.Line] = []
        var pending: ProfileSection.Cell?
        func flush() {
            if var p = pending {
                p.wide = true
                out.append(.init(cells: [p]))
                pending = nil
            }
        }
        for c in cells {
            if c.wide {
                flush()
                out.append(.init(cells: [c]))
            } else if let p = pending {
                out.append(.init(cells: [p, c]))
                pending = nil
            } else {
                pending = c
            }
        }
        flush()
        return out
    }

    /// The chosen options' labels, `大卡车、三轮车`.
    static func choiceLabels(_ options: [FieldView.Option]) -> String {
        options.filter(\.selected).map(\.label).joined(separator: "、")
    }

    /// A field's value as printed: money as `1,234.50`, dates and text as typed.
    static func value(_ field: FieldView) -> String { value(field.value, isMoney: field.isMoney) }

    static func value(_ v: String, isMoney: Bool) -> String {
        if isMoney, let fen = Money.parse(v) { return Money.format(fen) }
        return v
    }
}

/// One section of the 客户资料表 as shown and printed (`profile-sections`).
struct ProfileSection: TemplateModel {
    var title: String
    var hasTitle: Bool
    var lines: [Line]

    struct Line: TemplateModel {
        var cells: [Cell]
    }

    /// A label and its value: text, the options (ticked on paper), or a small table.
    struct Cell: TemplateModel {
        var label: String
        var value = ""
        var wide: Bool
        var hasChoices = false
        var choices: [Option] = []
        var isTable: Bool
        var columns: [String]
        var rows: [TableRow]
        var hasRows: Bool

        init(label: String, wide: Bool, table: (columns: [String], rows: [[String]])?) {
            self.label = label
            self.wide = wide
            isTable = table != nil
            columns = table?.columns ?? []
            rows = (table?.rows ?? []).map { TableRow(cells: $0) }
            hasRows = !(table?.rows.isEmpty ?? true)
        }
    }

    struct Option: TemplateModel {
        var label: String
        var selected: Bool
    }

    struct TableRow: TemplateModel {
        var cells: [String]
    }
}
