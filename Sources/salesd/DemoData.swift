import Foundation
import SalesHost
import SalesKit

/// The demo company (`salesd demo`): 上海华源汽车零部件有限公司, a maker of brake discs, pads,
/// filters, shock absorbers and water pumps, with its staff in every role, its customers, and
/// about five months of history. Everything after the accounts is done by the staff themselves
/// through the application's forms (`DemoBrowser`), each step at its moment of the history on
/// the demo clock, so the data holds only what the application itself can produce.
enum DemoData {
    static let password = "demo-1234"

    struct Person {
        var username: String
        var name: String
        var roles: [Role]
        var department: StandardDepartment
        var supervisor: String?
    }

    /// The staff: every role of RULES §5, each in its directory department, with 直属上级.
    static let people: [Person] = [
        Person(username: "chenjianguo", name: "陈建国", roles: [.generalManager], department: .management, supervisor: nil),
        Person(username: "caoyu", name: "曹宇", roles: [.admin], department: .management, supervisor: "chenjianguo"),
        Person(username: "linzhiqiang", name: "林志强", roles: [.marketingDirector], department: .sales, supervisor: "chenjianguo"),
        Person(username: "wanghaifeng", name: "王海峰", roles: [.salesManager], department: .sales, supervisor: "linzhiqiang"),
        Person(username: "liuyang", name: "刘洋", roles: [.salesSupervisor], department: .sales, supervisor: "wanghaifeng"),
        Person(username: "zhaomin", name: "赵敏", roles: [.salesSupervisor], department: .sales, supervisor: "wanghaifeng"),
        Person(username: "zhangwei", name: "张伟", roles: [.salesRep], department: .sales, supervisor: "liuyang"),
        Person(username: "lina", name: "李娜", roles: [.salesRep], department: .sales, supervisor: "liuyang"),
        Person(username: "sunlei", name: "孙磊", roles: [.salesRep], department: .sales, supervisor: "zhaomin"),
        Person(username: "zhouting", name: "周婷", roles: [.salesRep], department: .sales, supervisor: "zhaomin"),
        Person(username: "wuxiaodong", name: "吴晓东", roles: [.marketManager], department: .market, supervisor: "linzhiqiang"),
        Person(username: "gaofeng", name: "高峰", roles: [.serviceSupervisor], department: .service, supervisor: "linzhiqiang"),
        Person(username: "xuliang", name: "许亮", roles: [.serviceRep], department: .service, supervisor: "gaofeng"),
        Person(username: "dengfang", name: "邓芳", roles: [.serviceRep], department: .service, supervisor: "gaofeng"),
        Person(username: "zhengli", name: "郑丽", roles: [.finance], department: .finance, supervisor: "chenjianguo"),
        Person(username: "huangguoping", name: "黄国平", roles: [.production], department: .production, supervisor: "chenjianguo"),
        Person(username: "hejing", name: "何静", roles: [.quality], department: .quality, supervisor: "chenjianguo"),
        Person(username: "majun", name: "马俊", roles: [.technical], department: .technical, supervisor: "chenjianguo"),
        Person(username: "fengxue", name: "冯雪", roles: [.committee], department: .market, supervisor: "wuxiaodong"),
    ]

    /// The product master (name, spec, unit, list price, standard cost in 元).
    static let products: [(name: String, spec: String, unit: String, list: Int, cost: Int)] = [
        ("制动盘", "ZP-320", "件", 180, 120),
        ("刹车片", "SP-45", "套", 95, 55),
        ("机油滤清器", "LX-100", "件", 28, 15),
        ("减震器", "JZ-610", "件", 260, 170),
        ("水泵总成", "SB-200", "件", 420, 290),
    ]

    /// A customer of the story: its rating class after the 客户评定报告 (nil: still a prospect;
    /// "applying": an application under credit investigation).
    struct Customer {
        var key: String
        var name: String
        var city: String
        var address: String
        var phone: String
        var contact: String
        var title: String
        var owner: String
        var rating: String?
    }

    static let customers: [Customer] = [
        Customer(key: "shenda", name: "上海申达汽车制造有限公司", city: "上海", address: "嘉定区安亭镇墨玉路 88 号", phone: "021-6958 1200",
                 contact: "顾志明", title: "采购部经理", owner: "zhangwei", rating: "A"),
        Customer(key: "jianghuai", name: "江淮重型汽车制造有限公司", city: "合肥", address: "经济技术开发区紫云路 166 号", phone: "0551-6382 7700",
                 contact: "汪建华", title: "供应链总监", owner: "sunlei", rating: "A"),
        Customer(key: "hongda", name: "苏州宏达汽车零部件有限公司", city: "苏州", address: "工业园区星湖街 218 号", phone: "0512-6288 3301",
                 contact: "沈佳", title: "采购主管", owner: "lina", rating: "B"),
        Customer(key: "pujiang", name: "上海浦江客车有限公司", city: "上海", address: "闵行区剑川路 950 号", phone: "021-6430 5566",
                 contact: "陆伟民", title: "物资部部长", owner: "zhouting", rating: "B"),
        Customer(key: "donghai", name: "宁波东海汽配贸易有限公司", city: "宁波", address: "江北区长兴路 689 号", phone: "0574-8765 2210",
                 contact: "应海波", title: "总经理", owner: "zhangwei", rating: "C"),
        Customer(key: "shuntong", name: "杭州顺通汽车维修连锁有限公司", city: "杭州", address: "拱墅区莫干山路 1418 号", phone: "0571-8823 6060",
                 contact: "方立群", title: "配件部经理", owner: "sunlei", rating: "C"),
        Customer(key: "limin", name: "南通利民汽车配件商行", city: "南通", address: "崇川区工农路 57 号", phone: "0513-8551 0098",
                 contact: "朱利民", title: "店主", owner: "lina", rating: "D"),
        Customer(key: "hengyun", name: "嘉兴恒运物流车队", city: "嘉兴", address: "南湖区中环南路 1369 号", phone: "0573-8220 4411",
                 contact: "钱永康", title: "车队队长", owner: "zhouting", rating: "D"),
        Customer(key: "xinrui", name: "无锡新锐电动车有限公司", city: "无锡", address: "新吴区菱湖大道 200 号", phone: "0510-8522 7300",
                 contact: "蒋晓峰", title: "技术采购", owner: "zhangwei", rating: nil),
        Customer(key: "wantong", name: "常州万通专用车有限公司", city: "常州", address: "武进区常武中路 18 号", phone: "0519-8636 1122",
                 contact: "史国强", title: "副总经理", owner: "sunlei", rating: nil),
        Customer(key: "anchi", name: "温州安驰摩托车有限公司", city: "温州", address: "瓯海区娄桥工业园 9 号", phone: "0577-8866 3030",
                 contact: "林安", title: "采购经理", owner: "lina", rating: "applying"),
    ]

    /// The nine criteria of the 客户评定报告 (003 §2.2) at one level for every criterion but the
    /// production years (45 / 36 / 27 / 19 points → A / B / C / D).
    static func rating(_ cls: String) -> [(String, String)] {
        let i = ["A": 0, "B": 1, "C": 2, "D": 3][cls] ?? 3
        return [("capacity", ["150000", "70000", "30000", "6000"][i]), ("ranking", ["8", "27", "48", "75"][i]),
                ("brand", String(i)), ("nature", String(i)), ("capital", ["12000", "5000", "2000", "600"][i]),
                ("assets", String(i)), ("years", ["12", "4", "2", "2"][i]), ("credit", String(i)),
                ("payment", ["90", "80", "70", "60"][i])]
    }
}
