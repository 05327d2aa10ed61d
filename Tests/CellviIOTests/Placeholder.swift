import XCTest
final class CellviIOTestsPlaceholder: XCTestCase { func testBuilds() {} }
