# %% [markdown]
# # Perturbation prediction with `cellvi predict`: IFN-β response of PBMCs (Kang et al. 2018)
#
# The bundled `datasets/kang_combined_ifnb_scgen_3737` holds 3,737 PBMCs, control (`condition` = `ctrl`) or
# stimulated with interferon-β (`stim`), in eight cell types (`cell_type`). `cellvi predict --holdout` asks the
# scGen question: *if we had never seen stimulated CD4 T cells, could we predict their expression?* It trains a
# VAE (here scVI's negative-binomial VAE on raw counts, `--model-type nb`) on every cell except the stimulated
# CD4T cells, computes the latent shift δ = mean latent(stimulated) − mean latent(control) over the other cell
# types, adds δ to the latent codes of the control CD4T cells and decodes them. The prediction is compared with
# the real stimulated CD4T cells that were left out. `notebooks-export/build.sh` ran these commands:

# %%
import json
import numpy as np, pandas as pd, matplotlib.pyplot as plt, scanpy as sc, anndata as ad
from nbcommon import WORK, commands

commands("kang")

# %% [markdown]
# ## 1. What `cellvi predict --holdout` wrote
# - `predicted.h5ad`: one predicted stimulated cell per control CD4T cell (`X` = expected counts, layer
#   `log_normalized` = one count draw per cell, normalized to 10,000 and log1p);
# - `gene_means.csv`: per gene, the mean log-normalized expression of the control, predicted and real
#   stimulated CD4T cells;
# - `metrics.json`: R² (squared Pearson correlation of those gene means) of the prediction and of the control
#   cells (the "do nothing" baseline) against the real stimulated cells, on all genes and on the 100 genes that
#   change most (Wilcoxon rank-sum, stimulated vs control CD4T), with the gene list;
# - `delta.csv` (the latent shift) and `run_info.json`.

# %%
means = pd.read_csv(f"{WORK}/kang-cd4t/gene_means.csv", index_col="gene")
metrics = json.load(open(f"{WORK}/kang-cd4t/metrics.json"))
degs = metrics["top_degs"]
print({k: round(v, 3) if isinstance(v, float) else v for k, v in metrics.items() if k != "top_degs"})
print("top DEGs:", ", ".join(degs[:15]), "…")
means.loc[degs[:5]]

# %% [markdown]
# ## 2. Per-gene means: predicted vs real, and control vs real
# Each dot is a gene (6,388); the 100 top DEGs are red. On the left the prediction, on the right the unperturbed
# control cells, both against the real stimulated CD4T cells. A perfect prediction lies on the diagonal. The
# control cells miss the interferon-stimulated genes (red dots far below the diagonal on the right); the
# prediction moves most of them up to where the real stimulated cells are. R² printed in each panel is the value
# `cellvi` wrote to `metrics.json`.

# %%
is_deg = means.index.isin(degs)
label = degs[:6] + [means.loc[degs[6:], "stimulated_mean"].idxmax()]  # the 6 top DEGs and the most expressed one
fig, axes = plt.subplots(1, 2, figsize=(10.5, 5), layout="constrained", sharex=True, sharey=True)
panels = [("predicted_mean", "predicted stimulated CD4T", "r2_all_genes", "r2_top_degs"),
          ("control_mean", "control CD4T (baseline)", "baseline_r2_all_genes", "baseline_r2_top_degs")]
top = max(means.max()) * 1.12
for ax, (column, name, r2_all, r2_top) in zip(axes, panels):
    ax.plot([0, top], [0, top], color="black", linewidth=0.8, linestyle=":", zorder=0)
    ax.scatter(means.stimulated_mean[~is_deg], means[column][~is_deg], s=5, color="#9e9e9e", alpha=0.6,
               linewidths=0, rasterized=True, label="other genes")
    ax.scatter(means.stimulated_mean[is_deg], means[column][is_deg], s=12, color="#d62728", linewidths=0,
               rasterized=True, label="top-100 DEGs")
    # staggered labels with a leader line: neighbours along x alternate left / right and step up in height
    for k, gene in enumerate(sorted(label, key=lambda g: means.stimulated_mean[g])):
        ax.annotate(gene, (means.stimulated_mean[gene], means[column][gene]), fontsize=8,
                    xytext=(6 if k % 2 else -6, 10 + 12 * (k % 3)), textcoords="offset points",
                    ha="left" if k % 2 else "right", va="bottom",
                    arrowprops=dict(arrowstyle="-", linewidth=0.5, color="black"))
    ax.set(xlabel="real stimulated CD4T: mean log-normalized expression",
           ylabel=f"{name}: mean log-normalized expression", title=name, xlim=(0, top), ylim=(0, top))
    ax.text(0.03, 0.97, f"R² all genes = {metrics[r2_all]:.3f}\nR² top-100 DEGs = {metrics[r2_top]:.3f}",
            transform=ax.transAxes, va="top", fontsize=10)
    ax.legend(loc="upper left", bbox_to_anchor=(0, 0.86), frameon=False, markerscale=2)
    ax.set_aspect("equal")
    ax.grid(False)
plt.show()

# %% [markdown]
# The R² above can be recomputed from `gene_means.csv` alone (squared Pearson correlation across genes):

# %%
r2 = lambda a, b: np.corrcoef(a, b)[0, 1] ** 2
pd.DataFrame({"prediction": [r2(means.predicted_mean, means.stimulated_mean),
                             r2(means.predicted_mean[is_deg], means.stimulated_mean[is_deg])],
              "control baseline": [r2(means.control_mean, means.stimulated_mean),
                                   r2(means.control_mean[is_deg], means.stimulated_mean[is_deg])]},
             index=["R² all genes", "R² top-100 DEGs"]).round(3)

# %% [markdown]
# ## 3. Dot plot of the top DEGs: control, predicted, real stimulated
# The 20 genes that change most between control and stimulated CD4T cells. Dot colour: mean log-normalized
# expression in the group; dot size: fraction of cells in which the gene is detected. Control and real
# stimulated cells come from the input file (normalized the same way, 10,000 per cell + log1p); the predicted
# cells are `predicted.h5ad`'s `log_normalized` layer.

# %%
kang = sc.read_h5ad("../datasets/kang_combined_ifnb_scgen_3737/kang_combined_ifnb_scgen_3737.h5ad")
sc.pp.normalize_total(kang, target_sum=1e4)
sc.pp.log1p(kang)
cd4t = kang[kang.obs.cell_type == "CD4T"]
predicted = sc.read_h5ad(f"{WORK}/kang-cd4t/predicted.h5ad")
groups = {"control (real)": cd4t[cd4t.obs.condition == "ctrl"].X,
          "stimulated (predicted)": predicted.layers["log_normalized"],
          "stimulated (real)": cd4t[cd4t.obs.condition == "stim"].X}
combined = ad.concat([ad.AnnData(X=x, var=pd.DataFrame(index=kang.var_names),
                                 obs=pd.DataFrame({"group": name}, index=[f"{name}-{i}" for i in range(x.shape[0])]))
                      for name, x in groups.items()])
combined.obs["group"] = pd.Categorical(combined.obs["group"], categories=list(groups))
print({name: x.shape[0] for name, x in groups.items()}, "cells")
sc.pl.dotplot(combined, var_names=degs[:20], groupby="group", cmap="Reds", figsize=(10, 2.6),
              colorbar_title="mean expression\n(log-normalized)", size_title="fraction of cells\nexpressing (%)",
              title="Top-20 DEGs of CD4T (stimulated vs control)")

# %% [markdown]
# ## 4. Every cell type held out in turn (`--all-cell-types`)
# One model per cell type, each trained without that type's stimulated cells. `metrics.csv` has one row per
# type. Bars: R² of the prediction (dark) and of the control baseline (light), on all genes (left) and on the
# type's top-100 DEGs (right). The 40 `other` cells (megakaryocytes, erythrocytes) are too few to learn from.

# %%
table = pd.read_csv(f"{WORK}/kang-all/metrics.csv", index_col="cell_type")
fig, axes = plt.subplots(1, 2, figsize=(11, 4.4), layout="constrained", sharey=True)
x = np.arange(len(table))
for ax, (pred, base, name) in zip(axes, [("r2_all_genes", "baseline_r2_all_genes", "all genes"),
                                         ("r2_top_degs", "baseline_r2_top_degs", "top-100 DEGs")]):
    ax.bar(x - 0.2, table[pred], width=0.4, color="#1f77b4", label="cellvi prediction")
    ax.bar(x + 0.2, table[base], width=0.4, color="#aec7e8", label="control baseline")
    for xi, value in zip(x, table[pred]):
        ax.text(xi - 0.2, value + 0.01, f"{value:.2f}", ha="center", va="bottom", fontsize=7)
    ax.set_xticks(x, [f"{t} ({c}/{s})" for t, c, s in zip(table.index, table.control_cells, table.stimulated_cells)],
                  rotation=35, ha="right", rotation_mode="anchor", fontsize=8)
    ax.set(ylim=(0, 1.08), title=f"R² of per-gene means, {name}", xlabel="held-out cell type (control/stimulated cells)")
    ax.grid(False)
axes[0].set_ylabel("R² vs real stimulated cells")
fig.legend(*axes[0].get_legend_handles_labels(), loc="outside upper center", ncols=2, frameon=False)
plt.show()
table.round(3)
