#!/usr/bin/env python3
"""Reference values for HighlyVariableGenesTests and LoessTests, written beside this script.

- hvg_seurat_v3_pbmc.json: scanpy.pp.highly_variable_genes(flavor="seurat_v3", n_top_genes=2000)
  on /work/shared/datasets/pbmc10x_3tech_savercat (raw counts in X), without and with
  batch_key="batch": selected gene names (scanpy's order) and per-gene statistics of the first genes.
- loess_reference.json: skmisc.loess fitted values (surface "interpolate" and "direct") on small
  synthetic data, including tied x values.

Note: without batches, 862 genes of this dataset have one count of 1 and so exactly equal
normalized variance across the 2000th place; scanpy picks among them by numpy's SIMD argsort,
which differs with the CPU features numpy dispatches to. The Swift test compares that mode
tie-aware (the multiset of normalized variances of the selections) and by names otherwise.

Run: python3 Tests/CellviIOTests/Reference/make_hvg_reference.py   (scanpy, scikit-misc)
"""

import json
import warnings
from pathlib import Path

import numpy as np
import scanpy as sc
from skmisc.loess import loess

warnings.filterwarnings("ignore")
HERE = Path(__file__).resolve().parent
DATASET = "/work/shared/datasets/pbmc10x_3tech_savercat/pbmc10x_3tech_savercat.h5ad"
N_TOP = 2000
N_STATS = 50


def nan_to_none(values):
    return [None if np.isnan(v) else float(v) for v in values]


def hvg_reference() -> dict:
    adata = sc.read_h5ad(DATASET)
    out = {"dataset": DATASET, "n_top_genes": N_TOP, "scanpy": sc.__version__, "modes": {}}
    for mode, batch_key in (("no_batch", None), ("batch", "batch")):
        df = sc.pp.highly_variable_genes(adata, flavor="seurat_v3", n_top_genes=N_TOP,
                                         batch_key=batch_key, inplace=False)
        sort_cols = ["highly_variable_rank"] + (["highly_variable_nbatches"] if batch_key else [])
        ascending = [True] + ([False] if batch_key else [])
        ordered = df.sort_values(sort_cols, ascending=ascending, na_position="last")
        selected = [str(g) for g in ordered.index[ordered["highly_variable"]]]
        assert len(selected) == N_TOP
        out["modes"][mode] = {
            "batch_key": batch_key,
            "selected": selected,
            "first_genes": {
                "names": [str(g) for g in df.index[:N_STATS]],
                "means": df["means"].to_numpy()[:N_STATS].tolist(),
                "variances": df["variances"].to_numpy()[:N_STATS].tolist(),
                "variances_norm": df["variances_norm"].to_numpy()[:N_STATS].tolist(),
                "highly_variable_rank": nan_to_none(df["highly_variable_rank"].to_numpy()[:N_STATS]),
            },
        }
    return out


def loess_case(name: str, x: np.ndarray, y: np.ndarray, span: float) -> dict:
    fits = {}
    for surface in ("interpolate", "direct"):
        model = loess(x, y, span=span, degree=2, surface=surface)
        model.fit()
        fits[surface] = model.outputs.fitted_values.tolist()
    return {"name": name, "span": span, "degree": 2, "x": x.tolist(), "y": y.tolist(), "fitted": fits}


def loess_reference() -> dict:
    rng = np.random.default_rng(7)
    x = np.sort(rng.uniform(-3, 2, 400))
    smooth = loess_case("smooth", x, 0.5 * x + 0.3 * np.sin(2 * x) + rng.normal(0, 0.1, x.size), 0.3)
    xt = np.round(rng.uniform(0, 5, 300), 1)  # many ties
    ties = loess_case("ties", xt, np.log1p(xt) + rng.normal(0, 0.2, xt.size), 0.3)
    xw = rng.uniform(-1, 1, 120)
    wide = loess_case("wide_span", xw, xw ** 3 + rng.normal(0, 0.05, xw.size), 0.75)
    return {"cases": [smooth, ties, wide]}


if __name__ == "__main__":
    (HERE / "loess_reference.json").write_text(json.dumps(loess_reference()) + "\n")
    (HERE / "hvg_seurat_v3_pbmc.json").write_text(json.dumps(hvg_reference(), indent=0) + "\n")
    print("wrote", *(p.name for p in HERE.glob("*.json")))
