import Foundation
import Testing
import SalesKit
import SalesTesting
@testable import AfterSalesModule

/// Issue #16 point 3: the customer page shows the customer's complaints and returns, with
/// 登记投诉 / 登记退货 from there, the customer already chosen.
@Suite struct CustomerPanelTests {
    @Test func theCustomerPageShowsComplaintsWithTheirNumbersAndRegistersFromThere() throws {
        let w = try ServiceWorld()
        let rep = w.client("rep")
        let r = rep.submit("/service/complaints/new", ServiceWorld.qualityFields(customer: w.inCity))
        #expect(r.status == 303)
        let id = try #require(r.location.flatMap { Int64($0.replacingOccurrences(of: "/service/complaints/", with: "")) })
        let page = rep.get("/crm/customers/\(w.inCity)").body
        #expect(page.contains("<h2>客户投诉</h2>") && page.contains("<h2>退货</h2>"))
        #expect(page.contains("href=\"/service/complaints/\(id)\">\(DocNo.complaint(id))</a>"))
        #expect(page.contains("未结案</span> <b>1 件"))
        #expect(page.contains("href=\"/service/complaints/new?customer=\(w.inCity)\">登记投诉</a>"))
        // The form opens with this customer chosen; someone else's customer is not preselected.
        #expect(rep.get("/service/complaints/new?customer=\(w.inCity)").body.contains("value=\"\(w.inCity)\" selected"))
        #expect(!rep.get("/service/complaints/new?customer=\(w.otherCustomer)").body.contains("value=\"\(w.otherCustomer)\" selected"))
        #expect(rep.get("/service/returns/new?customer=\(w.inCity)").body.contains("value=\"\(w.inCity)\" selected"))
        // The other customer's page: no complaints.
        #expect(w.client("rep2").get("/crm/customers/\(w.otherCustomer)").body.contains("该客户没有投诉记录。"))
    }
}
