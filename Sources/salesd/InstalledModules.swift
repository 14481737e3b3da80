import AdminModule
import AfterSalesModule
import CustomerDevelopmentModule
import OrderingModule
import SuggestionsModule
import SalesKit

/// The one list of installed modules. Order is boot order and menu order; a module must come
/// after every module it depends on. To add a department module: add its target in
/// Package.swift, import it here, and append it.
let installedModules: [any DepartmentModule] = [
    AdminModule(),
    CustomerDevelopmentModule(),
    OrderingModule(),
    AfterSalesModule(),
    SuggestionsModule(),
]
