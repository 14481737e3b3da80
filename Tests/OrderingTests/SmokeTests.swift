import Testing
import SalesHost
import SalesKit
import SalesTesting
import AdminModule
import CustomerDevelopmentModule
@testable import OrderingModule

@Suite struct OrderingBootTests {
    @Test("the 订货 module boots after 客户开发, which it depends on")
    func boots() throws {
        let t = try TestApp(modules: [AdminModule(), CustomerDevelopmentModule(), OrderingModule()])
        #expect(t.app.registry.modules.map(\.manifest.id) == ["admin", "crm", "order"])
    }
}
