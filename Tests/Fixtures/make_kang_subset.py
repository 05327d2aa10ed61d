#!/usr/bin/env python3
"""Writes Tests/Fixtures/h5ad/kang_subset.h5ad: a small real subset of Kang et al. 2018 (PBMC, IFN-β)
for `cellvi predict` tests, with the usual `.expected.json` sidecar (read back with anndata).

Source: datasets/kang_combined_ifnb_scgen_3737 (raw counts, obs condition ∈ {ctrl, stim}, cell_type).
Cells, per (cell_type, condition), drawn without replacement (numpy default_rng(0)):
  CD4T 60 / 60, CD14+Mono 50 / 50, B 40 / 40, NK 25 / 25   — evaluable types, both conditions
  Dendritic 0 / 8                                            — stimulated only: no control cells to shift
  other 4 / 2                                                — too few stimulated cells for --holdout
Genes: the 400 with the largest variance of normalize_total(1e4) + log1p expression over all 3737
cells (ISG15, CXCL10, IFIT3, … : the interferon response and abundant markers), in the source's gene
order; ~30 % of entries are non-zero. X stays raw counts (int32 CSR, gzip); obs keeps
`condition` and `cell_type` as categoricals. Cells with no counts on these genes are not drawn.

Run from the repository root:  python3 Tests/Fixtures/make_kang_subset.py
Needs anndata 0.12, scanpy, numpy, scipy. Deterministic.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import scanpy as sc
import scipy.sparse as sp

warnings.filterwarnings("ignore")

ROOT = Path(__file__).resolve().parent
REPO = ROOT.parent.parent
SOURCE = REPO / "datasets/kang_combined_ifnb_scgen_3737/kang_combined_ifnb_scgen_3737.h5ad"
OUT = ROOT / "h5ad/kang_subset.h5ad"

CELLS = {  # (cell_type, condition) → cells
    ("CD4T", "ctrl"): 60, ("CD4T", "stim"): 60,
    ("CD14+Mono", "ctrl"): 50, ("CD14+Mono", "stim"): 50,
    ("B", "ctrl"): 40, ("B", "stim"): 40,
    ("NK", "ctrl"): 25, ("NK", "stim"): 25,
    ("Dendritic", "stim"): 8,
    ("other", "ctrl"): 4, ("other", "stim"): 2,
}
GENES = 400


def main() -> None:
    full = ad.read_h5ad(SOURCE)
    normalized = full.copy()
    sc.pp.normalize_total(normalized, target_sum=1e4)
    sc.pp.log1p(normalized)
    x = sp.csr_matrix(normalized.X, dtype=np.float64)
    mean = np.asarray(x.mean(axis=0)).ravel()
    variance = np.asarray(x.multiply(x).mean(axis=0)).ravel() - mean * mean
    genes = np.sort(np.argsort(-variance, kind="stable")[:GENES])

    counts = sp.csr_matrix(full.X)[:, genes]
    totals = np.asarray(counts.sum(axis=1)).ravel()
    rng = np.random.default_rng(0)
    chosen = []
    for (cell_type, condition), n in CELLS.items():
        pool = np.flatnonzero((full.obs["cell_type"].astype(str).to_numpy() == cell_type)
                              & (full.obs["condition"].astype(str).to_numpy() == condition) & (totals > 0))
        chosen.extend(sorted(rng.choice(pool, size=n, replace=False)))
    chosen = np.array(chosen)

    obs = pd.DataFrame({
        "condition": pd.Categorical(full.obs["condition"].astype(str).to_numpy()[chosen], categories=["ctrl", "stim"]),
        "cell_type": pd.Categorical(full.obs["cell_type"].astype(str).to_numpy()[chosen]),
    }, index=pd.Index(full.obs_names[chosen].astype(str)))
    var = pd.DataFrame(index=pd.Index(full.var_names[genes].astype(str)))
    x = sp.csr_matrix(counts[chosen].astype(np.int32))
    x.sort_indices()
    subset = ad.AnnData(X=x, obs=obs, var=var)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    subset.write_h5ad(OUT, compression="gzip")

    # Sidecar, read back from the written file (schema: Tests/Fixtures/README.md). X is summarised
    # (not listed densely: 140 000 values), so the reader test checks shape, names and obs.
    back = ad.read_h5ad(OUT)
    columns = []
    for name in back.obs.columns:
        s = back.obs[name]
        codes = s.cat.codes.to_numpy()
        columns.append({"name": name, "type": "categorical", "categories": [str(c) for c in s.cat.categories],
                        "ordered": bool(s.cat.ordered), "codes": codes.tolist(),
                        "values": [str(s.cat.categories[c]) for c in codes]})
    groups = back.obs.groupby(["cell_type", "condition"], observed=True).size()
    expected = {
        "file": OUT.name, "layout": "anndata-0.12",
        "notes": f"real subset of {SOURCE.name}; see make_kang_subset.py",
        "shape": list(back.shape), "obs_names": list(map(str, back.obs_names)), "var_names": list(map(str, back.var_names)),
        "X_summary": {"dtype": str(back.X.dtype), "nnz": int(back.X.nnz), "sum": int(back.X.sum())},
        "obs": {"index": list(map(str, back.obs_names)), "columns": columns},
        "var": {"index": list(map(str, back.var_names)), "columns": []},
        "cells_per_group": {f"{t}/{c}": int(n) for (t, c), n in groups.items()},
        "layers": {}, "obsm": {}, "uns": {}, "raw": None,
    }
    Path(str(OUT) + ".expected.json").write_text(json.dumps(expected, indent=1) + "\n")
    print(f"wrote {OUT} ({back.n_obs} cells × {back.n_vars} genes, {back.X.nnz} non-zeros)")


if __name__ == "__main__":
    main()
