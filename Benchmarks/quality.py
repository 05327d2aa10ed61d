#!/usr/bin/env python3
"""Quality: cellvi vs scvi-tools on pbmc10x_3tech_savercat, 100 epochs, seed 0, nb likelihood.

usage: python3 Benchmarks/quality.py [--epochs 100] [--threads 2] [--json OUT.json]

Reports the last epoch's validation ELBO of each (mean over the 10 % validation cells of reconstruction NLL
+ unweighted KL, lower is better; each tool's own random split, so they differ by split noise too) and
their relative difference (cellvi − scvi-tools) / scvi-tools, and the scib-metrics Benchmarker scores
(batch_key "batch", label_key "cell_type", unscaled, i.e. get_results(min_max_scale=False)) of both latents
(posterior means; cellvi's from OUTDIR/cellvi.h5ad obsm["X_scVI"]). The pre-integration embedding is
normalize_total(1e4) + log1p + PCA(50, arpack) of the counts, as the CellviMetrics scib fixture.
If the cellvi CLI has an `evaluate` command, its numbers for the cellvi latent (same pre-embedding) are printed
as well.
Also the ELBO over all cells of both trained models (`cellvi elbo`, scvi-tools `get_elbo`), which removes the
split difference. Targets: cellvi's validation ELBO within 0.5 % of scvi-tools' (or lower); scib Total ≥ 0.638.
"""
import argparse, json, os, subprocess, sys, tempfile, shutil
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_common import *


def scib_scores(path, latents, threads):
    os.environ["OMP_NUM_THREADS"] = str(threads)
    import warnings; warnings.simplefilter("ignore")
    import numpy as np, scanpy as sc
    try:
        from scib_metrics.benchmark import Benchmarker
    except ImportError:
        log("bench: installing scib-metrics")
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "scib-metrics"], check=True)
        from scib_metrics.benchmark import Benchmarker
    adata = sc.read_h5ad(path)
    adata.X = adata.X.astype(np.float32)
    for name, (names, z) in latents.items():
        pos = {n: i for i, n in enumerate(names)}
        adata.obsm[name] = np.asarray(z, dtype=np.float32)[[pos[n] for n in adata.obs_names]]
    sc.pp.normalize_total(adata, target_sum=1e4)
    sc.pp.log1p(adata)
    sc.tl.pca(adata, n_comps=50, svd_solver="arpack")
    bm = Benchmarker(adata, batch_key="batch", label_key="cell_type", embedding_obsm_keys=list(latents),
                     pre_integrated_embedding_obsm_key="X_pca", n_jobs=threads, progress_bar=False)
    bm.benchmark()
    res = bm.get_results(min_max_scale=False)
    res = res.drop(index="Metric Type", errors="ignore")
    return {k: {c: float(v) for c, v in res.loc[k].items()} for k in latents}, adata


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=100)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", default=None)
    a = ap.parse_args()
    binary = cellvi_bin()
    tmp = tempfile.mkdtemp(prefix="cellvi-quality-")
    out = os.path.join(tmp, "cellvi")
    log(f"bench: cellvi train ({a.epochs} epochs)")
    rc = check(run_measured([binary, "train", PBMC, "--batch-key", "batch", "--labels-key", "cell_type",
                             "--likelihood", "nb", "--epochs",
                             str(a.epochs), "--seed", "0", "--threads", str(a.threads), "-o", out],
                            env=thread_env(a.threads)), "cellvi train")
    info = json.load(open(os.path.join(out, "run_info.json")))["results"]
    r = check(run_measured([binary, "elbo", os.path.join(out, "model.h5"), PBMC, "--batch-key", "batch", "--json"],
                           env=thread_env(a.threads)), "cellvi elbo")
    info["elbo_all_cells"] = json.loads(r["stdout"])["elbo"]
    log(f"bench: scvi-tools train ({a.epochs} epochs)")
    sj, sl = os.path.join(tmp, "scvi.json"), os.path.join(tmp, "scvi_latent.npy")
    rs = check(run_measured([sys.executable, os.path.join(BENCH, "scvi_train.py"), PBMC, sj, "--epochs",
                             str(a.epochs), "--batch-key", "batch", "--seed", "0", "--threads", str(a.threads),
                             "--latent", sl], env=thread_env(a.threads)), "scvi-tools train")
    sv = json.load(open(sj))

    import anndata, numpy as np
    cad = anndata.read_h5ad(os.path.join(out, "cellvi.h5ad"))
    sad_names = list(anndata.read_h5ad(PBMC, backed="r").obs_names)
    latents = {"cellvi": (list(cad.obs_names), cad.obsm["X_scVI"]), "scvi-tools": (sad_names, np.load(sl))}
    log("bench: scib-metrics Benchmarker")
    scores, scored = scib_scores(PBMC, latents, a.threads)

    evaluate = None
    helptext = subprocess.run([binary, "--help"], capture_output=True, text=True).stdout
    if "evaluate" in helptext:
        # the same inputs as the Python Benchmarker: cellvi's latent and the log-normalized PCA as pre-embedding
        ev = anndata.AnnData(X=cad.X, obs=scored.obs.loc[cad.obs_names, ["batch", "cell_type"]].copy())
        ev.obsm["X_scVI"] = scored.obsm["cellvi"][[scored.obs_names.get_loc(n) for n in cad.obs_names]]
        ev.obsm["X_pca"] = scored.obsm["X_pca"][[scored.obs_names.get_loc(n) for n in cad.obs_names]]
        ev_path = os.path.join(tmp, "evaluate.h5ad")
        ev.write_h5ad(ev_path)
        r = subprocess.run([binary, "evaluate", ev_path, "--batch-key", "batch", "--labels-key", "cell_type",
                            "--pre-embedding", "X_pca"], capture_output=True, text=True)
        evaluate = r.stdout if r.returncode == 0 else f"(cellvi evaluate failed: {r.stderr.strip()[-500:]})"

    ce, se = info["elbo_validation"], sv["elbo_validation"]
    rel = (ce - se) / se
    print(f"## Quality (pbmc10x_3tech_savercat, nb, batch_key batch, {a.epochs} epochs, seed 0)")
    print(table([["cellvi", f"{ce:.1f}", f"{info['reconstruction_validation']:.1f}", f"{info['elbo_train']:.1f}",
                  f"{rc['wall']:.0f}"],
                 ["scvi-tools", f"{se:.1f}", f"{sv['reconstruction_validation']:.1f}", f"{sv['elbo_train']:.1f}",
                  f"{rs['wall']:.0f}"]],
                ["model", "validation ELBO", "validation reconstruction", "train ELBO", "run seconds"]))
    print(f"relative difference of validation ELBO (cellvi − scvi-tools) / scvi-tools: {100 * rel:+.2f} %"
          " (target ≤ +0.5 %)")
    ca, sa = info["elbo_all_cells"], sv["elbo_all_cells"]
    print(f"ELBO on all {sv['cells']} cells (same cells for both; cellvi elbo / scvi get_elbo): cellvi {ca:.1f}, "
          f"scvi-tools {sa:.1f}, {100 * (ca - sa) / sa:+.2f} %")
    print()
    cols = [c for c in scores["cellvi"] if c not in ("Embedding",)]
    print("scib-metrics Benchmarker, unscaled (target Total ≥ 0.638):")
    print(table([[c, f"{scores['cellvi'][c]:.3f}", f"{scores['scvi-tools'][c]:.3f}"] for c in cols],
                ["metric", "cellvi", "scvi-tools"]))
    if evaluate is not None:
        print("\ncellvi evaluate on the cellvi latent:\n" + evaluate)
    if a.json:
        json.dump(dict(cellvi=info, scvi=sv, elbo_relative_difference=rel, elbo_all_cells_relative_difference=(ca - sa) / sa, scib=scores, cellvi_evaluate=evaluate),
                  open(a.json, "w"), indent=1)
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
