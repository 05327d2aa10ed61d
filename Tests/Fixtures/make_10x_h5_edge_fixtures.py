#!/usr/bin/env python3
"""Writes Cell Ranger .h5 edge-case fixtures for TenXHDF5ReaderTests into Tests/Fixtures/10x/.

- `legacy_two_genomes.h5`: Cell Ranger ≤ 2 layout with `/GRCh38` and `/mm10`; the sidecar holds
  `scanpy.read_10x_h5(path, genome=...)` for each genome (scanpy refuses to guess, so must we).
- `bad_h5_*.h5`: the v3 layout with one broken array each; the sidecar names the object
  (`error.key`) the reader must report.

Run from the repository root:  python3 Tests/Fixtures/make_10x_h5_edge_fixtures.py
Needs h5py, numpy, scanpy. Deterministic.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import h5py
import numpy as np
import scanpy as sc
import scipy.sparse as sp

warnings.filterwarnings("ignore")
TENX = Path(__file__).resolve().parent / "10x"


def tiny_counts(n_features: int, n_cells: int, seed: int) -> sp.csc_matrix:
    """features × barcodes CSC int32, every barcode with at least one count."""
    rng = np.random.default_rng(seed)
    m = rng.poisson(2.0, size=(n_features, n_cells)) * (rng.random((n_features, n_cells)) < 0.5)
    m[np.arange(n_cells) % n_features, np.arange(n_cells)] += 1
    return sp.csc_matrix(m.astype(np.int32))


def describe(adata) -> dict:
    return {"shape": list(adata.shape), "obs_names": list(map(str, adata.obs_names)),
            "var_names": list(map(str, adata.var_names)),
            "gene_ids": list(map(str, adata.var["gene_ids"])),
            "dense": adata.X.toarray().tolist()}


def write_matrix(group: h5py.Group, m: sp.csc_matrix, barcodes: list[str]) -> None:
    group.create_dataset("barcodes", data=np.array([b.encode() for b in barcodes]))
    group.create_dataset("data", data=m.data.astype(np.int32))
    group.create_dataset("indices", data=m.indices.astype(np.int64))
    group.create_dataset("indptr", data=m.indptr.astype(np.int64))
    group.create_dataset("shape", data=np.array(m.shape, dtype=np.int32))


def write_legacy_two_genomes() -> None:
    path = TENX / "legacy_two_genomes.h5"
    genomes = {"GRCh38": (["CD3E", "LYZ", "NKG7"], 4, 1), "mm10": (["Cd3e", "Lyz2", "Nkg7", "Gapdh"], 5, 2)}
    with h5py.File(path, "w") as f:
        for genome, (genes, n_cells, seed) in genomes.items():
            g = f.create_group(genome)
            write_matrix(g, tiny_counts(len(genes), n_cells, seed), [f"{genome[:2].upper()}BARCODE{i}-1" for i in range(n_cells)])
            g.create_dataset("genes", data=np.array([f"{genome}_ID{i}".encode() for i in range(len(genes))]))
            g.create_dataset("gene_names", data=np.array([n.encode() for n in genes]))
    expected = {"file": path.name, "layout": "cellranger-v2-h5", "genomes": list(genomes),
                "by_genome": {g: describe(sc.read_10x_h5(path, genome=g)) for g in genomes}}
    Path(str(path) + ".expected.json").write_text(json.dumps(expected, indent=1) + "\n")


def write_bad(name: str, key: str, problem: str, mutate) -> None:
    """A small v3 file, then `mutate(matrix_group)` breaks one array."""
    path = TENX / f"{name}.h5"
    m = tiny_counts(3, 4, 3)
    with h5py.File(path, "w") as f:
        g = f.create_group("matrix")
        write_matrix(g, m, [f"BARCODE{i}-1" for i in range(4)])
        features = g.create_group("features")
        features.create_dataset("id", data=np.array([b"ID0", b"ID1", b"ID2"]))
        features.create_dataset("name", data=np.array([b"A", b"B", b"C"]))
        features.create_dataset("feature_type", data=np.array([b"Gene Expression"] * 3))
        features.create_dataset("genome", data=np.array([b"GRCh38"] * 3))
        features.create_dataset("_all_tag_keys", data=np.array([b"genome"]))
        mutate(g)
    expected = {"file": path.name, "error": {"stage": "read", "key": key, "problem": problem}}
    Path(str(path) + ".expected.json").write_text(json.dumps(expected, indent=1) + "\n")


def replace(group: h5py.Group, name: str, values) -> None:
    del group[name]
    group.create_dataset(name, data=values)


def main() -> None:
    write_legacy_two_genomes()
    write_bad("bad_h5_indptr_decreasing", "/matrix/indptr", "indptr decreases",
              lambda g: replace(g, "indptr", np.array([0, 3, 1, 4, g["indptr"][-1]], dtype=np.int64)))
    write_bad("bad_h5_index_out_of_range", "/matrix/indices", "a feature index ≥ the feature count",
              lambda g: replace(g, "indices", np.where(np.arange(len(g["indices"])) == 0, 7, g["indices"][()])))
    write_bad("bad_h5_data_length", "/matrix/data", "data shorter than indices",
              lambda g: replace(g, "data", g["data"][:-1]))
    write_bad("bad_h5_barcode_count", "/matrix/barcodes", "one barcode fewer than shape says",
              lambda g: replace(g, "barcodes", g["barcodes"][:-1]))
    write_bad("bad_h5_indptr_past_nnz", "/matrix/indptr", "indptr ends beyond nnz",
              lambda g: replace(g, "indptr", np.append(g["indptr"][:-1], g["indptr"][-1] + 5)))


if __name__ == "__main__":
    main()
