// swift-tools-version:5.9
import Foundation
import PackageDescription

// Dependencies point one way:
//   CHDF5 → CellviHDF5 ─┐
//   COpenBLAS, CCellviIntrinsics → CellviKernels ─┼→ CellviIO ─┐
//                             └→ CellviModel ─┼→ CellviPerturbation
//                                CellviMetrics ┘      → CellviCLI (`cellvi`)
// The kernels (and the model's BatchNorm, dropout and bias loops) are written as plain loops the
// compiler vectorises. cellvi is built where it runs (`make demo`, `make test`), so on x86-64 they are
// compiled for the build machine's CPU (`-target-cpu native`: AVX-512 where the CPU has it, 7 % faster
// training than AVX2 on an AMD Zen 5). CELLVI_TARGET_CPU=haswell (say) builds for another CPU;
// CELLVI_PORTABLE=1 builds for baseline x86-64.
#if arch(x86_64)
let kernelCPUFlags = Context.environment["CELLVI_PORTABLE"] == "1"
    ? [] : ["-target-cpu", Context.environment["CELLVI_TARGET_CPU"] ?? "native"]
#else
let kernelCPUFlags: [String] = []
#endif

// With AVX-512 (32 vector registers), the kernels' own register-tiled GEMM (TiledGemm) beats the
// system OpenBLAS, whose kernel choice OPENBLAS_CORETYPE may pin to AVX2. On when the kernels are
// built for this machine's CPU and it has AVX-512F; CELLVI_SIMD16_GEMM=1/0 forces it on or off.
let buildCPUHasAVX512 = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.contains(" avx512f") ?? false
let simd16Gemm = Context.environment["CELLVI_SIMD16_GEMM"].map { $0 == "1" }
    ?? (kernelCPUFlags == ["-target-cpu", "native"] && buildCPUHasAVX512)
let kernelDefines: [SwiftSetting] = simd16Gemm ? [.define("CELLVI_SIMD16_GEMM")] : []

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
        .target(name: "CCellviIntrinsics"),
        .target(name: "CellviKernels", dependencies: ["COpenBLAS", "CCellviIntrinsics"],
                swiftSettings: [.unsafeFlags(["-Ounchecked"] + kernelCPUFlags)] + kernelDefines),
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
