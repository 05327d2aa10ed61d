import XCTest
final class CellviModelTestsPlaceholder: XCTestCase { func testBuilds() {} }
