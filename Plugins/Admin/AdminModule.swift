import SalesKit
