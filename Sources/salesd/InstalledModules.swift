import AdminModule
import AfterSalesModule
import CustomerDevelopmentModule
import OrderingModule
import SuggestionsModule
import SalesKit

/// The one list of installed modules. Order is menu order, except that the registry moves a
/// module after every module it depends on (boot and migration order follow the dependencies).
/// To add a department module: add its target in Package.swift, import it here, and append it.
let installedModules: [any DepartmentModule] = [
    AdminModule(),
    CustomerDevelopmentModule(),
    OrderingModule(),
    AfterSalesModule(),
    SuggestionsModule(),
]
