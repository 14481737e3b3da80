import Foundation

/// A form as its page shows it: what `form/fields` (and `form/field`, `form/input`) read. Put it
/// in a page model as `var form: FormView` and write `{{#form}}{{>form/fields}}{{/form}}`.
public struct FormView: TemplateModel {
    public var fields: [FieldView]
    public var formErrors: [String]
    public var hasErrors: Bool
    public var errorCount: Int
    /// Set when the database could not take the submit (the values are kept): shown on top.
    public var storageError: String?
    /// The values were restored after a login (the session had expired while the user typed):
    /// pages say so (`{{#form.resumed}}…`).
    public var resumed = false
    /// Some fields are folded (`FormField.folded`): the 「更多」 line, its title (the folded
    /// fields' labels) and whether it is open (one of them holds a value or an error).
    public var hasFolded = false
    public var foldedTitle = ""
    public var foldedOpen = false
}

extension FormView {
    /// The text field `name` offering `choices` while the user types (`<datalist>`, no
    /// JavaScript): the customer picker. Made when the page is shown (never for a valid submit,
    /// which runs under the write lock). With no choices the field's help says `none`.
    public func suggesting(_ name: String, _ choices: [Choice], none: String) -> FormView {
        var f = self
        f.fields = fields.map { field in
            guard field.name == name, field.isText else { return field }
            var v = field
            v.hasSuggestions = !choices.isEmpty
            v.options = choices.map { FieldView.Option(value: $0.value, label: $0.label, selected: $0.value == field.value) }
            if choices.isEmpty {
                v.help = none
                v.hasHelp = true
            }
            return v
        }
        return f
    }
}

/// One field of a form: label, input by kind, help and the error beside it.
public struct FieldView: TemplateModel {
    public var name: String
    public var id: String
    public var label: String
    public var value: String
    public var required: Bool
    public var help: String
    public var hasHelp: Bool
    public var error: String
    public var hasError: Bool
    public var isText = false
    public var isPassword = false
    public var isTextarea = false
    public var isInteger = false
    public var isMoney = false
    public var isDate = false
    public var isCheckbox = false
    public var checked = false
    public var isSelect = false
    public var isMultiSelect = false
    public var isFile = false
    public var isRows = false
    public var options: [Option] = []
    /// A text field with suggestions (`<datalist id="{{id}}-list">`).
    public var hasSuggestions = false
    public var accept = ""
    public var columns: [Column] = []
    public var rows: [RowView] = []
    /// Shown under the form's 「更多」 line (`FormField.folded`).
    public var folded = false

    public struct Option: TemplateModel {
        public var value: String
        public var label: String
        public var selected: Bool
    }

    public struct Column: TemplateModel {
        public var label: String
        public var required: Bool
    }

    public struct RowView: TemplateModel {
        public var number: Int
        public var cells: [CellView]
    }

    init(cell c: CellView, required: Bool, help: String) {
        name = c.name
        id = c.id
        label = c.label
        value = c.value
        self.required = required
        self.help = help
        hasHelp = !help.isEmpty
        error = c.error
        hasError = c.hasError
        isText = c.isText
        isPassword = c.isPassword
        isTextarea = c.isTextarea
        isInteger = c.isInteger
        isMoney = c.isMoney
        isDate = c.isDate
        isCheckbox = c.isCheckbox
        checked = c.checked
        isSelect = c.isSelect
        isMultiSelect = c.isMultiSelect
        isFile = c.isFile
        options = c.options
        hasSuggestions = c.hasSuggestions
        accept = c.accept
    }
}

/// One cell of a rows field (a line of 订货单明细): the input and its error.
public struct CellView: TemplateModel {
    public var name: String
    public var id: String
    public var label: String
    public var value: String
    public var error: String
    public var hasError: Bool
    public var isText = false
    public var isPassword = false
    public var isTextarea = false
    public var isInteger = false
    public var isMoney = false
    public var isDate = false
    public var isCheckbox = false
    public var checked = false
    public var isSelect = false
    public var isMultiSelect = false
    public var isFile = false
    public var options: [FieldView.Option] = []
    public var hasSuggestions = false
    public var accept = ""

    init(name: String, id: String, label: String, value: String, error: String, hasError: Bool) {
        self.name = name
        self.id = id
        self.label = label
        self.value = value
        self.error = error
        self.hasError = hasError
    }
}
