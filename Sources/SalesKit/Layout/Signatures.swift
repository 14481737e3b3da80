import Foundation

/// The 编制 / 审核 / 批准 block at the foot of a printed form, filled in where the system knows who
/// did it and when (issue #16 point 10: no empty signature boxes when the approver is known).
/// A slot nobody has taken yet stays empty, to be signed by hand.
///
/// Put it in the print page's model (`var signatures: SignatureBlock`) and write
/// `{{#signatures}}{{>print/signed}}{{/signatures}}` where the blank `{{>print/signatures}}` was:
///
/// ```swift
/// SignatureBlock(prepared: .init(o.string("created_name"), at: o.int("created_at"), ctx),
///                approved: approval.map { .init($0.name, at: $0.at, ctx) })
/// ```
public struct SignatureBlock: TemplateModel, Equatable {
    /// Who signed a slot and when (the company's date).
    public struct Signer: Sendable, Equatable {
        public var name: String
        public var date: String

        public init(name: String, date: String) {
            self.name = name
            self.date = date
        }

        /// From stored columns: a display name and an epoch; nil when nobody is recorded.
        public init?(_ name: String?, at epoch: Int64?, _ ctx: Context) {
            guard let name, !name.isEmpty else { return nil }
            self.name = name
            date = epoch.map { ctx.display(Date(timeIntervalSince1970: TimeInterval($0)), pattern: "yyyy-MM-dd") } ?? ""
        }
    }

    public struct Slot: TemplateModel, Equatable {
        /// 编制, 审核 or 批准 (or the form's own word, e.g. 处理).
        public var role: String
        public var name: String
        public var date: String
    }

    public var slots: [Slot]

    public init(prepared: Signer? = nil, reviewed: Signer? = nil, approved: Signer? = nil,
                titles: (String, String, String) = ("编制", "审核", "批准")) {
        slots = [(titles.0, prepared), (titles.1, reviewed), (titles.2, approved)].map { role, s in
            Slot(role: role, name: s?.name ?? "", date: s?.date ?? "")
        }
    }
}
