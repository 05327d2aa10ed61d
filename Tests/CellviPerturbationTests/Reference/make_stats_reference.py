"""Writes stats_reference.json: Wilcoxon rank-sum scores (scanpy rank_genes_groups, method="wilcoxon",
tie_correct=True) and R² (scipy.stats.linregress rvalue**2) on a small log-normalized fixture with ties.

Run: python3 make_stats_reference.py   (numpy, scipy, scanpy, anndata)
"""
import json
from importlib.metadata import version

import anndata as ad
import numpy as np
import scanpy as sc
from scipy import stats

rng = np.random.default_rng(7)
n_cells, n_genes = 14, 9
counts = rng.poisson(rng.gamma(1.0, 2.0, size=(n_cells, n_genes))).astype(np.float32)
counts[:, 0] = 0                       # an all-zero gene (score 0 after the NaN rule)
counts[:, 1] = 3                       # a constant gene
counts[counts.sum(1) == 0, 2] = 1      # no empty cells
condition = np.array(["ctrl"] * 6 + ["stim"] * 8)
counts[condition == "stim", 3] += 5    # an up-regulated gene
counts[condition == "stim", 4] = 0     # a down-regulated gene
adata = ad.AnnData(counts.copy())
adata.obs["condition"] = condition
adata.var_names = [f"g{i}" for i in range(n_genes)]
sc.pp.normalize_total(adata, target_sum=1e4)
sc.pp.log1p(adata)
sc.tl.rank_genes_groups(adata, groupby="condition", groups=["stim"], reference="ctrl", method="wilcoxon", tie_correct=True)
rg = adata.uns["rank_genes_groups"]
names = [str(n) for n in rg["names"]["stim"]]
scores = [float(s) for s in rg["scores"]["stim"]]
score_by_gene = dict(zip(names, scores))

x = rng.normal(size=25)
y = 0.7 * x + rng.normal(scale=0.5, size=25)
out = {
    "header": {"generator": "make_stats_reference.py", "version": 1, "scanpy": version("scanpy"), "scipy": version("scipy")},
    "counts": counts.tolist(),
    "log_normalized": np.asarray(adata.X).tolist(),
    "stimulated_rows": [int(i) for i in np.nonzero(condition == "stim")[0]],
    "control_rows": [int(i) for i in np.nonzero(condition == "ctrl")[0]],
    "wilcoxon_scores": [score_by_gene[f"g{i}"] for i in range(n_genes)],
    "wilcoxon_top_genes": names,
    "r2_x": x.tolist(), "r2_y": y.tolist(),
    "r2": float(stats.linregress(x, y).rvalue ** 2),
}
with open("stats_reference.json", "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
