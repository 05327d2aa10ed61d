// swift-tools-version:5.9
import PackageDescription

// Dependencies point one way:
//   CHDF5 → CellviHDF5 ─┐
//   COpenBLAS → CellviKernels ─┼→ CellviIO ─┐
//                             └→ CellviModel ─┼→ CellviPerturbation
//                                CellviMetrics ┘      → CellviCLI (`cellvi`)
// The kernels (and the model's BatchNorm, dropout and bias loops) are written as plain loops the
// compiler vectorises; on x86-64 they are built for AVX2 (every x86-64 CPU since 2013–2015) unless CELLVI_PORTABLE=1 is set at build time.
#if arch(x86_64)
let kernelCPUFlags = Context.environment["CELLVI_PORTABLE"] == "1" ? [] : ["-target-cpu", "haswell"]
#else
let kernelCPUFlags: [String] = []
#endif

let package = Package(
    name: "cellvi",
    products: [
        .executable(name: "cellvi", targets: ["CellviCLI"]),
        .library(name: "CellviIO", targets: ["CellviIO"]),
        .library(name: "CellviModel", targets: ["CellviModel"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CHDF5", path: "Sources/CHDF5", pkgConfig: "hdf5",
            providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(
            name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]),
        .target(name: "CellviHDF5", dependencies: ["CHDF5", "CZlib"]),
        .target(name: "CellviKernels", dependencies: ["COpenBLAS"],
                swiftSettings: [.unsafeFlags(["-Ounchecked"] + kernelCPUFlags)]),
        .target(name: "CellviIO", dependencies: ["CellviHDF5", "CellviKernels", "CZlib"]),
        .target(name: "CellviModel", dependencies: ["CellviHDF5", "CellviKernels"],
                swiftSettings: [.unsafeFlags(kernelCPUFlags)]),
        .target(name: "CellviMetrics", dependencies: ["CellviKernels"]),
        .target(name: "CellviPerturbation", dependencies: ["CellviModel", "CellviIO", "CellviMetrics"]),
        .executableTarget(
            name: "CellviCLI",
            dependencies: [
                "CellviIO", "CellviModel", "CellviMetrics", "CellviPerturbation",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .testTarget(name: "CellviHDF5Tests", dependencies: ["CellviHDF5"]),
        .testTarget(name: "CellviKernelsTests", dependencies: ["CellviKernels"]),
        .testTarget(name: "CellviIOTests", dependencies: ["CellviIO"], exclude: ["Interop", "Reference"]),
        .testTarget(name: "CellviModelTests", dependencies: ["CellviModel", "CellviIO"], exclude: ["Golden"]),
        .testTarget(name: "CellviMetricsTests", dependencies: ["CellviMetrics"], exclude: ["Reference"]),
        .testTarget(name: "CellviCLITests", dependencies: ["CellviCLI"]),
        .testTarget(name: "CellviPerturbationTests", dependencies: ["CellviPerturbation"], exclude: ["Reference"]),
    ]
)
