# %% [markdown]
# # cellvi next to scvi-tools: the same scVI model on the same cells
#
# cellvi reimplements scvi-tools' `SCVI` (same architecture, defaults, loss, optimiser and schedule). Here both
# train it on the bundled `datasets/pbmc10x_3tech_savercat` (2,000 PBMCs × 10,000 genes, three 10x chemistries as
# batches) with the same settings: negative-binomial likelihood, 100 epochs, minibatch 128, a 90/10
# train/validation split with validation every epoch, seed 0, CPU, 2 threads. scvi-tools ran through
# `Benchmarks/scvi_train.py`, the script the benchmarks use (`notebooks-export/scvi_tools_train.py` runs it
# unchanged and also saves `model.history`), right after cellvi. `notebooks-export/build.sh` ran:

# %%
import json
import numpy as np, pandas as pd, matplotlib.pyplot as plt, scanpy as sc, anndata as ad
from nbcommon import WORK, commands, cellvi_json

commands("pbmc-train", "side")

# %%
adata = sc.read_h5ad(f"{WORK}/pbmc-train/cellvi.h5ad")
adata.obsm["X_scvi_tools"] = np.load(f"{WORK}/scvi-tools-latent.npy")
cellvi_history = pd.read_csv(f"{WORK}/pbmc-train/history.csv")
scvi_history = pd.read_csv(f"{WORK}/scvi-tools-history.csv")
scvi_record = json.load(open(f"{WORK}/scvi-tools.json"))
print(f"{adata.n_obs} cells; cellvi latent {adata.obsm['X_scVI'].shape}, scvi-tools latent "
      f"{adata.obsm['X_scvi_tools'].shape}; scvi-tools {scvi_record['scvi_version']}, torch {scvi_record['torch_version']}")

# %% [markdown]
# ## 1. The two latent spaces
# A 15-neighbour graph and UMAP on each tool's 10-dimensional latent (posterior means). The two models start
# from different random weights (PyTorch's and cellvi's generators differ), so the pictures are not identical,
# but they should tell the same story: the chemistries mixed within each cell type, the three types apart.

# %%
palettes = {"batch": ["#1b9e77", "#d95f02", "#7570b3"], "cell_type": ["#e7298a", "#66a61e", "#386cb0"]}
embeddings = {"cellvi": "X_scVI", "scvi-tools": "X_scvi_tools"}
fig, axes = plt.subplots(2, 2, figsize=(10.5, 8.5), layout="constrained")
for row, (tool, key) in enumerate(embeddings.items()):
    view = adata.copy()
    sc.pp.neighbors(view, use_rep=key, n_neighbors=15, random_state=0)
    sc.tl.umap(view, random_state=0)
    for col, colour in enumerate(["batch", "cell_type"]):
        sc.pl.umap(view, color=colour, palette=palettes[colour], ax=axes[row, col], show=False, size=12,
                   title=f"{tool} latent, coloured by {colour.replace('_', ' ')}")
        axes[row, col].set(xlabel="UMAP 1", ylabel="UMAP 2")
plt.show()

# %% [markdown]
# ## 2. ELBO curves
# The ELBO per cell as scvi-tools logs it (reconstruction negative log-likelihood + KL; lower is better) on the
# training cells (dashed) and on the validation cells (solid). For a given seed cellvi holds out the same 200
# validation cells as scvi-tools (numpy's `RandomState(seed).permutation`, as scvi-tools' `DataSplitter`), so
# the solid curves are measured on the same cells. Right: the last 50 epochs, zoomed.

# %%
colours = {"cellvi": "#1f77b4", "scvi-tools": "#ff7f0e"}
histories = {"cellvi": cellvi_history.set_index("epoch"), "scvi-tools": scvi_history.set_index("epoch")}
fig, axes = plt.subplots(1, 2, figsize=(10.5, 3.8), layout="constrained")
for ax, first in zip(axes, [0, 50]):
    for tool, h in histories.items():
        h = h.loc[first:]
        ax.plot(h.index, h.elbo_validation, color=colours[tool], label=f"{tool}, validation")
        ax.plot(h.index, h.elbo_train, color=colours[tool], linestyle="--", label=f"{tool}, training")
    ax.set(xlabel="epoch", ylabel="ELBO per cell (lower is better)")
    ax.grid(False)
axes[0].set_ylim(min(h.elbo_validation.min() for h in histories.values()) * 0.98,
                 max(h.elbo_train.quantile(0.9) for h in histories.values()))
axes[0].set_title("all 100 epochs")
axes[1].set_title("epochs 50–99")
axes[0].legend(frameon=False)
plt.show()

# %% [markdown]
# Final values, and the ELBO of each trained model on all 2,000 cells (cellvi: `cellvi elbo model.h5 INPUT`;
# scvi-tools: `model.get_elbo()` in `scvi_train.py`):

# %%
cellvi_elbo = cellvi_json("elbo", f"{WORK}/pbmc-train/model.h5",
                          "../datasets/pbmc10x_3tech_savercat/pbmc10x_3tech_savercat.h5ad", "--batch-key", "batch")
summary = pd.DataFrame({
    "cellvi": [cellvi_history.elbo_train.iloc[-1], cellvi_history.elbo_validation.iloc[-1], cellvi_elbo["elbo"]],
    "scvi-tools": [scvi_history.elbo_train.iloc[-1], scvi_history.elbo_validation.iloc[-1], scvi_record["elbo_all_cells"]],
}, index=["ELBO training cells (epoch 100)", "ELBO validation cells (epoch 100)", "ELBO all 2,000 cells"])
summary["cellvi − scvi-tools (%)"] = 100 * (summary["cellvi"] / summary["scvi-tools"] - 1)
summary.round(2)

# %% [markdown]
# ## 3. Seconds per epoch
# Wall-clock seconds of each epoch (training steps + validation pass): cellvi's from `history.csv`, scvi-tools'
# from a Lightning callback in `scvi_train.py`. As in `Benchmarks/`, the first epoch is warm-up and the median
# over epochs 2–100 is compared. build.sh runs both at the lowest CPU priority (`nice -n 19`) on whatever machine
# it is run on, so the absolute seconds depend on what else is running; the benchmark table in the README was
# measured on a quiet machine.

# %%
seconds = {"cellvi": cellvi_history.seconds.to_numpy(), "scvi-tools": np.asarray(scvi_record["epoch_seconds"])}
medians = {tool: float(np.median(s[1:])) for tool, s in seconds.items()}
fig, (left, right) = plt.subplots(1, 2, figsize=(10.5, 3.6), layout="constrained", width_ratios=[2, 1])
for tool, s in seconds.items():
    left.plot(np.arange(len(s)), s, color=colours[tool], label=tool)
left.set(xlabel="epoch", ylabel="seconds (log scale)", title="seconds of each epoch", yscale="log")
left.legend(frameon=False)
bars = right.bar(list(medians), list(medians.values()), color=[colours[t] for t in medians])
right.bar_label(bars, fmt="%.3f s")
right.set(ylabel="median seconds per epoch (epochs 2–100)",
          title=f"scvi-tools / cellvi = {medians['scvi-tools'] / medians['cellvi']:.1f}×",
          ylim=(0, max(medians.values()) * 1.2))
for ax in (left, right):
    ax.grid(False)
plt.show()
print({tool: f"{m:.3f} s/epoch" for tool, m in medians.items()},
      f"speed-up {medians['scvi-tools'] / medians['cellvi']:.2f}×")

# %% [markdown]
# ## 4. Integration metrics of both latents (`cellvi evaluate`)
# The same scib-metrics computation on each tool's latent (unscaled, higher is better).

# %%
adata.write_h5ad(f"{WORK}/side-by-side.h5ad")
rows = {}
for tool, key in embeddings.items():
    rows[tool] = cellvi_json("evaluate", f"{WORK}/side-by-side.h5ad", "--embedding", key,
                             "--batch-key", "batch", "--labels-key", "cell_type")
pd.DataFrame(rows).loc[["silhouette_label", "clisi", "isolated_labels", "nmi", "ari", "silhouette_batch", "ilisi",
                        "kbet", "graph_connectivity", "pcr_comparison", "bio_conservation", "batch_correction",
                        "total"]].round(3)
