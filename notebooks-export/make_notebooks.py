#!/usr/bin/env python3
"""Builds and executes the example notebooks on cellvi outputs, exporting them to Markdown + PNG.

usage: python3 notebooks-export/make_notebooks.py [DEMO_OUTPUT_DIR]   (default: demo-output, from `make demo`)
needs: pip install scanpy nbformat nbconvert ipykernel
"""
import os, sys, nbformat
from nbconvert import MarkdownExporter
from nbconvert.preprocessors import ExecutePreprocessor

HERE = os.path.dirname(os.path.abspath(__file__))
demo = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "demo-output"))

cells = [
    ("md", "# cellvi latent space in scanpy\n\n`cellvi train` wrote `cellvi.h5ad` with the scVI latent in "
           "`obsm[\"X_scVI\"]`. It opens directly in scanpy: neighbours, UMAP and Leiden on the latent, compared with "
           "the uncorrected PCA of the same counts. Data: 2000 PBMCs from three 10x technologies "
           "(`datasets/pbmc10x_3tech_savercat`), trained with `make demo`."),
    ("code", f"import scanpy as sc, pandas as pd, matplotlib.pyplot as plt\nDEMO = {os.path.relpath(demo, HERE)!r}\n"
             "adata = sc.read_h5ad(f\"{DEMO}/cellvi.h5ad\")\nadata"),
    ("md", "## Training curves (`history.csv`)"),
    ("code", "history = pd.read_csv(f\"{DEMO}/history.csv\")\n"
             "ax = history.plot(x=\"epoch\", y=[\"elbo_train\", \"elbo_validation\"], figsize=(6, 3.5))\n"
             "ax.set_ylabel(\"ELBO per cell (lower is better)\"); ax.set_ylim(history.elbo_validation.min() * 0.97, history.elbo_validation.quantile(0.9));"),
    ("md", "## Uncorrected: PCA of log-normalized counts"),
    ("code", "raw = adata.copy()\nsc.pp.normalize_total(raw, target_sum=1e4); sc.pp.log1p(raw)\n"
             "sc.pp.pca(raw, n_comps=30)\nsc.pp.neighbors(raw)\nsc.tl.umap(raw, random_state=0)\n"
             "sc.pl.umap(raw, color=[\"batch\", \"cell_type\"], wspace=0.35)"),
    ("md", "## cellvi: the scVI latent\n\nThe technologies mix while the cell types stay apart."),
    ("code", "sc.pp.neighbors(adata, use_rep=\"X_scVI\")\nsc.tl.umap(adata, random_state=0)\n"
             "sc.tl.leiden(adata, resolution=0.5, random_state=0, flavor=\"igraph\", n_iterations=2, directed=False)\n"
             "sc.pl.umap(adata, color=[\"batch\", \"cell_type\", \"leiden\"], wspace=0.35)"),
    ("code", "pd.crosstab(adata.obs[\"leiden\"], adata.obs[\"cell_type\"])"),
]

nb = nbformat.v4.new_notebook()
nb.cells = [nbformat.v4.new_markdown_cell(t) if k == "md" else nbformat.v4.new_code_cell(t) for k, t in cells]
nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
ExecutePreprocessor(timeout=600, kernel_name="python3").preprocess(nb, {"metadata": {"path": HERE}})
name = "scvi_latent_in_scanpy"
nbformat.write(nb, os.path.join(HERE, name + ".ipynb"))
body, resources = MarkdownExporter().from_notebook_node(nb, resources={"output_files_dir": name + "_files"})
with open(os.path.join(HERE, name + ".md"), "w") as f:
    f.write(body)
os.makedirs(os.path.join(HERE, name + "_files"), exist_ok=True)
for path, data in resources.get("outputs", {}).items():
    with open(os.path.join(HERE, path), "wb") as f:
        f.write(data)
print("wrote", os.path.join(HERE, name + ".md"))
