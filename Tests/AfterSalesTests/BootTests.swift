import Testing
import SalesHost
import SalesKit
import SalesTesting
import AdminModule
import CustomerDevelopmentModule
@testable import AfterSalesModule

@Suite struct AfterSalesBootTests {
    @Test("the 售后服务 module boots after 客户开发, which it depends on")
    func boots() throws {
        let t = try TestApp(modules: [AdminModule(), CustomerDevelopmentModule(), AfterSalesModule()])
        #expect(t.app.registry.modules.map(\.manifest.id) == ["admin", "crm", "service"])
    }
}
