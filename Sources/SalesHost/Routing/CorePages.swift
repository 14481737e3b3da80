import Foundation
import SalesKit

/// The host's own pages as page models (bound at start-up like a module's).
struct HomePage: PageModel {
    static let template = "/pages/home"
    var groups: [Group]
    var empty: Bool
    var failed: [String]
    var hasFailed: Bool

    struct Group: TemplateModel {
        var module: String
        var count: Int
        var items: [Item]
    }

    struct Item: TemplateModel {
        var title: String
        var detail: String
        var url: String
        var urgent: Bool
        var due: String?
        var overdue: Bool
    }
}

struct LoginPage: PageModel {
    static let template = "/pages/login"
    var next: String
    var resume: String
    var username = ""
    var expired = false
    var error: String?
    /// A form typed into the expired session is waiting (「您刚才填写的表单已保留」 only then; an
    /// empty `resume` is a set string to Mustache).
    var formKept = false

    init(next: String, resume: String, username: String = "", expired: Bool = false, error: String? = nil) {
        self.next = next
        self.resume = resume
        self.username = username
        self.expired = expired
        self.error = error
        formKept = !resume.isEmpty
    }
}

struct PasswordPage: PageModel {
    static let template = "/pages/account-password"
    /// An administrator set the password: it must be changed before anything else.
    var required = false
    var username: String
    var form: FormView
}

struct ErrorPage: PageModel {
    static let template = "/pages/error"
    var status: Int
    var heading: String
    var message: String
    var errorID: String?
    var requestID: String?
}
