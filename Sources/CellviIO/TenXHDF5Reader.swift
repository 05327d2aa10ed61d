import CellviHDF5
import CellviKernels

/// What to keep when reading a Cell Ranger `.h5` (mirrors `scanpy.read_10x_h5`'s arguments).
public struct TenXHDF5ReadOptions: Sendable {
    /// Keep only features of type "Gene Expression" (scanpy's `gex_only=True`). v3+ files only.
    public var geneExpressionOnly = true
    /// The genome to read: for legacy files the top-level group; for v3+ files a filter on
    /// `features/genome`. Nil reads the only genome of a legacy file, and every feature of a v3 one.
    public var genome: String?
    /// Make var names unique as `var_names_make_unique` does (`TSPAN6`, `TSPAN6-1`, …).
    /// scanpy's `read_10x_h5` leaves duplicates (and warns); cellvi makes them unique by default.
    public var makeVarNamesUnique = true

    public init(geneExpressionOnly: Bool = true, genome: String? = nil, makeVarNamesUnique: Bool = true) {
        self.geneExpressionOnly = geneExpressionOnly; self.genome = genome; self.makeVarNamesUnique = makeVarNamesUnique
    }
}

/// Reads 10x Genomics Cell Ranger HDF5 matrices (v3+ `matrix/` and legacy per-genome layouts)
/// into cells × genes CSR counts, with barcodes as obs names and gene names as var names.
public enum TenXHDF5Reader {
    public static func read(path: String, options: TenXHDF5ReadOptions = TenXHDF5ReadOptions()) throws -> AnnData {
        try wrappingHDF5 {
            let root = try HDF5File.open(path: path).root
            if root.kind(of: "matrix") == .group {
                return try readV3(try root.group("matrix"), file: path, options: options)
            }
            return try readLegacy(root: root, file: path, options: options)
        }
    }

    /// Cell Ranger ≥ 3: `matrix/{data,indices,indptr,shape,barcodes}` and `matrix/features/*`.
    private static func readV3(_ group: HDF5Group, file: String, options: TenXHDF5ReadOptions) throws -> AnnData {
        let stored = try TenXStoredMatrix.read(group, file: file)
        let features = try group.group("features")
        let featureKey = "\(group.path)/features"
        func featureStrings(_ name: String) throws -> [String] {
            let values = try features.dataset(name).readStrings()
            guard values.count == stored.featureCount else {
                throw CellviIOError.invalid(file: file, key: "\(featureKey)/\(name)",
                                            problem: "has \(values.count) entries but shape says \(stored.featureCount) features",
                                            fix: "The file is inconsistent; re-run Cell Ranger or re-export it.")
            }
            return values
        }
        let ids = try featureStrings("id"), names = try featureStrings("name"), types = try featureStrings("feature_type")
        var tagKeys = features.contains("_all_tag_keys") ? try features.dataset("_all_tag_keys").readStrings() : []
        if tagKeys.isEmpty, features.contains("genome") { tagKeys = ["genome"] }
        let tags = try tagKeys.filter { features.contains($0) }.map { ($0, try featureStrings($0)) }

        var keep = Array(0..<stored.featureCount)
        if options.geneExpressionOnly { keep = keep.filter { types[$0] == "Gene Expression" } }
        if let genome = options.genome {
            guard let genomes = tags.first(where: { $0.0 == "genome" })?.1 else {
                throw CellviIOError.missingKey(file: file, key: "\(featureKey)/genome", available: [],
                                               fix: "This file records no genomes; read it without --genome.")
            }
            guard genomes.contains(genome) else {
                throw CellviIOError.missingKey(file: file, key: "\(featureKey)/genome = \(genome)",
                                               available: orderedUnique(genomes), fix: "Choose one of the genomes listed.")
            }
            keep = keep.filter { genomes[$0] == genome }
        }
        let columns: [(name: String, values: ColumnValues)] =
            [("gene_ids", .strings(keep.map { ids[$0] })), ("feature_types", .strings(keep.map { types[$0] }))]
            + tags.map { (name, values) in (name, ColumnValues.strings(keep.map { values[$0] })) }
        return assemble(stored, keptFeatures: keep, names: keep.map { names[$0] }, columns: columns, options: options)
    }

    /// Cell Ranger ≤ 2: one top-level group per genome with `genes` and `gene_names`.
    private static func readLegacy(root: HDF5Group, file: String, options: TenXHDF5ReadOptions) throws -> AnnData {
        let genomes = try root.childNames().filter { isLegacyGenomeGroup(root, $0) }
        guard !genomes.isEmpty else {
            throw CellviIOError.invalid(file: file, key: "/", problem: "neither a `matrix` group (Cell Ranger ≥ 3) nor a genome group with `barcodes` (Cell Ranger ≤ 2)",
                                        fix: "Pass a Cell Ranger `filtered_feature_bc_matrix.h5`; read `.h5ad` files as AnnData instead.")
        }
        let genome: String
        if let wanted = options.genome {
            guard genomes.contains(wanted) else {
                throw CellviIOError.missingKey(file: file, key: "/\(wanted)", available: genomes, fix: "Choose one of the genomes listed.")
            }
            genome = wanted
        } else if genomes.count == 1 {
            genome = genomes[0]
        } else {
            throw CellviIOError.invalid(file: file, key: "/", problem: "holds several genomes (\(genomes.joined(separator: ", ")))",
                                        fix: "Choose one with --genome.")
        }
        let group = try root.group(genome)
        let stored = try TenXStoredMatrix.read(group, file: file)
        var perGene: [String: [String]] = [:]
        for name in ["genes", "gene_names"] {
            let values = try group.dataset(name).readStrings()
            guard values.count == stored.featureCount else {
                throw CellviIOError.invalid(file: file, key: "\(group.path)/\(name)",
                                            problem: "has \(values.count) entries but shape says \(stored.featureCount) genes",
                                            fix: "The file is inconsistent; re-run Cell Ranger or re-export it.")
            }
            perGene[name] = values
        }
        let all = Array(0..<stored.featureCount)
        return assemble(stored, keptFeatures: all, names: perGene["gene_names"]!,
                        columns: [("gene_ids", .strings(perGene["genes"]!))], options: options)
    }

    /// Cells × kept genes, obs indexed by barcode, var by (optionally unique) gene name.
    private static func assemble(_ stored: TenXStoredMatrix, keptFeatures: [Int], names: [String],
                                 columns: [(name: String, values: ColumnValues)], options: TenXHDF5ReadOptions) -> AnnData {
        var counts = stored.cellsByFeatures
        if keptFeatures.count != stored.featureCount { counts = counts.selectingColumns(keptFeatures) }
        let varNames = options.makeVarNamesUnique ? makeUnique(names) : names
        return AnnData(obs: DataFrame(index: stored.barcodes), vars: DataFrame(index: varNames, columns: columns), x: counts)
    }

    private static func orderedUnique(_ values: [String]) -> [String] {
        var seen = Set<String>()
        return values.filter { seen.insert($0).inserted }
    }
}
