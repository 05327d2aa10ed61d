import XCTest
final class CellviCLITestsPlaceholder: XCTestCase { func testBuilds() {} }
