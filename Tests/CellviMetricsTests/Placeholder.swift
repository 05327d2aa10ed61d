import XCTest
final class CellviMetricsTestsPlaceholder: XCTestCase { func testBuilds() {} }
