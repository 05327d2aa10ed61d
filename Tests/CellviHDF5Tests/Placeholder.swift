import XCTest
final class CellviHDF5TestsPlaceholder: XCTestCase { func testBuilds() {} }
