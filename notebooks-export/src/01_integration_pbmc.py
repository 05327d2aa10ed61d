# %% [markdown]
# # Batch integration with `cellvi train`: 2,000 PBMCs from three 10x chemistries
#
# The bundled `datasets/pbmc10x_3tech_savercat` holds 2,000 peripheral blood cells sequenced with three 10x
# Genomics kits (`batch`: 3' v2, 3' v3 and 5' VDJ; one donor each) and annotated with three coarse cell types
# (`cell_type`: B cells, Monocytes, T/NK cells). Without correction the kits separate the cells as much as their
# biology does. `notebooks-export/build.sh` ran the commands below; this notebook only reads what they wrote
# (under `notebooks-export/work/`) and plots it with scanpy and matplotlib.

# %%
import json, os
import numpy as np, pandas as pd, matplotlib.pyplot as plt, scanpy as sc, anndata as ad
from nbcommon import WORK, commands, cellvi_json

commands("pbmc")

# %% [markdown]
# ## 1. What `cellvi train` wrote
# `cellvi.h5ad` is an ordinary AnnData file: the cells and genes used, `X` = their raw counts, the `obs` columns
# of the input and the scVI latent (posterior means, 10 dimensions) in `obsm["X_scVI"]`.

# %%
adata = sc.read_h5ad(f"{WORK}/pbmc-train/cellvi.h5ad")
run_info = json.load(open(f"{WORK}/pbmc-train/run_info.json"))
print(adata)
print({k: round(run_info["results"][k], 3) for k in ("epochs_run", "elbo_train", "elbo_validation", "seconds_per_epoch")})

# %% [markdown]
# ## 2. Training curves (`history.csv`)
# One row per epoch. The ELBO is logged as scvi-tools logs it (mean reconstruction negative log-likelihood plus
# the unweighted KL divergence per cell; lower is better), on the 90 % training cells and on the 10 % held-out
# validation cells (the validation ELBO is lower because it is computed without dropout, after the epoch's
# updates). The loss actually minimised weights the KL term by a factor that rises linearly from 0 over 400
# epochs (scvi-tools' warm-up; 0.25 after 100 epochs, dashed). The KL per cell (right) jumps while its weight is
# near 0 and then falls as the weight grows.

# %%
history = pd.read_csv(f"{WORK}/pbmc-train/history.csv")
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6), layout="constrained")
left.plot(history.epoch, history.elbo_train, label="training cells")
left.plot(history.epoch, history.elbo_validation, label="validation cells")
left.set_ylim(history.elbo_validation.min() * 0.98, history.elbo_train.quantile(0.95))
left.set(xlabel="epoch", ylabel="ELBO per cell (lower is better)", title="ELBO")
left.legend(frameon=False)
right.plot(history.epoch, history.kl_validation, color="tab:green", label="KL (validation)")
right.set(xlabel="epoch", ylabel="KL divergence per cell", title="KL term and its weight")
twin = right.twinx()
twin.plot(history.epoch, history.kl_weight, color="grey", linestyle="--", label="KL weight")
twin.set_ylabel("KL weight")
twin.set_ylim(0, 1)
right.legend(handles=right.lines + twin.lines, frameon=False, loc="lower right")
for ax in (left, right, twin):
    ax.grid(False)
plt.show()

# %% [markdown]
# ## 3. Before and after: UMAP of the uncorrected PCA and of `X_scVI`
# Uncorrected: the usual scanpy recipe on the same counts (normalize to 10,000 per cell, log1p, 50-component
# PCA, 15-neighbour graph, UMAP). Corrected: the same graph and UMAP on the scVI latent. Left column coloured by
# chemistry, right column by cell type.

# %%
raw = adata.copy()
sc.pp.normalize_total(raw, target_sum=1e4)
sc.pp.log1p(raw)
sc.pp.pca(raw, n_comps=50, random_state=0)
sc.pp.neighbors(raw, n_neighbors=15, random_state=0)
sc.tl.umap(raw, random_state=0)
sc.pp.neighbors(adata, use_rep="X_scVI", n_neighbors=15, random_state=0)
sc.tl.umap(adata, random_state=0)

palettes = {"batch": ["#1b9e77", "#d95f02", "#7570b3"], "cell_type": ["#e7298a", "#66a61e", "#386cb0"]}
fig, axes = plt.subplots(2, 2, figsize=(10.5, 8.5), layout="constrained")
for row, (data, name) in enumerate([(raw, "uncorrected PCA"), (adata, "cellvi X_scVI")]):
    for col, key in enumerate(["batch", "cell_type"]):
        sc.pl.umap(data, color=key, palette=palettes[key], ax=axes[row, col], show=False, size=12,
                   title=f"{name}, coloured by {key.replace('_', ' ')}")
        axes[row, col].set(xlabel="UMAP 1", ylabel="UMAP 2")
plt.show()

# %% [markdown]
# ## 4. Integration metrics with `cellvi evaluate`
# `cellvi evaluate` computes the scib-metrics 0.5 `Benchmarker` metrics (unscaled; higher is better for every
# one): bio conservation (are cell types kept apart?) and batch correction (are the chemistries mixed within a
# cell type?). build.sh ran it on `X_scVI`; here it is also run on the uncorrected PCA from section 3, written to
# a small `.h5ad`, so the two columns are comparable. Both use the 50-component PCA of the stored counts as the
# "before" embedding of the PCR comparison.

# %%
scvi_metrics = json.load(open(f"{WORK}/pbmc-evaluate.json"))
ad.AnnData(X=adata.X, obs=adata.obs[["batch", "cell_type"]],
           obsm={"X_pca": raw.obsm["X_pca"]}).write_h5ad(f"{WORK}/pbmc-pca.h5ad")
pca_metrics = cellvi_json("evaluate", f"{WORK}/pbmc-pca.h5ad", "--embedding", "X_pca",
                          "--batch-key", "batch", "--labels-key", "cell_type")
names = {"silhouette_label": "Silhouette label", "clisi": "cLISI", "isolated_labels": "Isolated labels",
         "nmi": "KMeans NMI", "ari": "KMeans ARI", "silhouette_batch": "BRAS (batch silhouette)",
         "ilisi": "iLISI", "kbet": "kBET", "graph_connectivity": "Graph connectivity",
         "pcr_comparison": "PCR comparison", "bio_conservation": "Bio conservation",
         "batch_correction": "Batch correction", "total": "Total (0.6 bio + 0.4 batch)"}
table = pd.DataFrame({"uncorrected PCA": pca_metrics, "cellvi X_scVI": scvi_metrics}).loc[list(names)]
table.index = list(names.values())
table.style.format("{:.3f}").set_caption("cellvi evaluate (higher is better)")

# %% [markdown]
# ## 5. Leiden clusters from `cellvi cluster`
# `cellvi cluster` wrote the kNN graph on `X_scVI` and Leiden clusters the way scanpy stores them
# (`obsp["connectivities"]`, `obsp["distances"]`, `uns["neighbors"]`, `obs["leiden"]`), so `sc.tl.umap` runs on
# its output directly, without `sc.pp.neighbors`.

# %%
clustered = sc.read_h5ad(f"{WORK}/pbmc-clustered.h5ad")
sc.tl.umap(clustered, random_state=0)
clustered.uns["cell_type_colors"] = palettes["cell_type"]
fig, axes = plt.subplots(1, 2, figsize=(10.5, 4.2), layout="constrained")
sc.pl.umap(clustered, color="leiden", ax=axes[0], show=False, size=12, legend_loc="on data",
           legend_fontoutline=2, title=f"cellvi cluster: {clustered.obs.leiden.nunique()} Leiden clusters")
sc.pl.umap(clustered, color="cell_type", ax=axes[1], show=False, size=12, title="cell type")
for ax in axes:
    ax.set(xlabel="UMAP 1", ylabel="UMAP 2")
plt.show()

# %% [markdown]
# Each cluster against the annotated cell types (cells per cluster); `--csv` also wrote the clusters as a plain
# `cell,leiden` table.

# %%
print(pd.read_csv(f"{WORK}/pbmc-leiden.csv").head(3).to_string(index=False))
pd.crosstab(clustered.obs["leiden"], clustered.obs["cell_type"])
