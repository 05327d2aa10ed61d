import XCTest
final class CellviKernelsTestsPlaceholder: XCTestCase { func testBuilds() {} }
