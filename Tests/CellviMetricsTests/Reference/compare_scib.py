"""Writes the scib-metrics reference fixture the CellviMetrics tests compare against.

Usage:  python3 compare_scib.py [--dataset PATH] [--out DIR]
Needs:  scanpy, scib-metrics 0.5.x, igraph, leidenalg (pip install scib-metrics leidenalg).

What it does (mirrors scib-metrics' Benchmarker, unscaled results):
  1. normalize_total(1e4) + log1p of the raw counts, `sc.tl.pca(n_comps=50, svd_solver="arpack")` -> X_pre
     (what Benchmarker.prepare computes when no pre-integrated key is given).
  2. A 10-dim "integrated" embedding: the first 10 PCs with 70% of each batch's mean removed (a crude,
     partial integration, so batch metrics are neither 0 nor 1).
  3. Benchmarker(...).benchmark() on that embedding with X_pre as the pre-integration embedding.
  4. scanpy's neighbour graph (n_neighbors=15) on the embedding and `sc.tl.leiden` (igraph flavour,
     n_iterations=2, and the leidenalg flavour) for the Leiden agreement test.
Files written to DIR: scib_reference.json, embedding.f32 (N x 10), pre_integration.f32 (N x 50),
little-endian float32, row-major.
"""
import argparse
import json
import os
import warnings

import numpy as np

warnings.simplefilter("ignore")

import scanpy as sc  # noqa: E402
import scib_metrics  # noqa: E402
from scib_metrics.benchmark import Benchmarker  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DATASET = os.path.join(HERE, "..", "..", "..", "..", "shared", "datasets", "symphony_pbmc_3chem",
                               "symphony_pbmc_3chem.h5ad")
FIXTURE_VERSION = 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default=os.environ.get("CELLVI_METRICS_DATASET", DEFAULT_DATASET))
    parser.add_argument("--out", default=HERE)
    parser.add_argument("--dims", type=int, default=10)
    args = parser.parse_args()

    adata = sc.read_h5ad(args.dataset)
    adata.X = adata.X.astype(np.float32)
    sc.pp.normalize_total(adata, target_sum=1e4)
    sc.pp.log1p(adata)
    sc.tl.pca(adata, n_comps=50, svd_solver="arpack")
    pre = np.ascontiguousarray(adata.obsm["X_pca"], dtype=np.float32)

    emb = pre[:, : args.dims].copy()
    batches = np.asarray(adata.obs["batch"].astype(str))
    labels = np.asarray(adata.obs["cell_type"].astype(str))
    for b in np.unique(batches):
        emb[batches == b] -= 0.7 * emb[batches == b].mean(axis=0)
    emb = np.ascontiguousarray(emb, dtype=np.float32)
    adata.obsm["X_emb"] = emb

    bm = Benchmarker(adata, batch_key="batch", label_key="cell_type", embedding_obsm_keys=["X_emb"],
                     pre_integrated_embedding_obsm_key="X_pca", n_jobs=1, progress_bar=False)
    bm.benchmark()
    res = bm.get_results(min_max_scale=False, clean_names=False)
    row = res.loc["X_emb"]
    metrics = {
        "silhouetteLabel": row["silhouette_label"],
        "silhouetteBatch": row["bras"],
        "ilisi": row["ilisi_knn"],
        "clisi": row["clisi_knn"],
        "kbet": row["kbet_per_label"],
        "graphConnectivity": row["graph_connectivity"],
        "isolatedLabels": row["isolated_labels"],
        "nmi": row["nmi_ari_cluster_labels_kmeans_nmi"],
        "ari": row["nmi_ari_cluster_labels_kmeans_ari"],
        "pcrComparison": row["pcr_comparison"],
        "bioConservation": row["Bio conservation"],
        "batchCorrection": row["Batch correction"],
        "total": row["Total"],
    }
    metrics = {k: float(v) for k, v in metrics.items()}

    # k-means NMI/ARI spread over 8 seeds, to judge the tolerance (Benchmarker uses seed 0 only).
    from scib_metrics.utils import KMeans
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
    spread = []
    for seed in range(8):
        km = KMeans(len(np.unique(labels)), seed=seed).fit(emb.copy())
        spread.append([normalized_mutual_info_score(labels, km.labels_), adjusted_rand_score(labels, km.labels_)])
    spread = np.asarray(spread)

    # scanpy neighbour graph and Leiden on it.
    sc.pp.neighbors(adata, n_neighbors=15, use_rep="X_emb")
    conn = adata.obsp["connectivities"].tocsr()
    dist = adata.obsp["distances"].tocsr()
    sc.tl.leiden(adata, flavor="igraph", n_iterations=2, directed=False, random_state=0, key_added="leiden_igraph")
    sc.tl.leiden(adata, flavor="leidenalg", random_state=0, key_added="leiden_leidenalg")
    # Leiden is seed-dependent: keep 5 igraph-flavour seeds and their modularity on scanpy's graph.
    graph = sc._utils.get_igraph_from_adjacency(conn, directed=False)
    leiden_seeds, leiden_modularity = [], []
    for seed in range(5):
        sc.tl.leiden(adata, flavor="igraph", n_iterations=2, directed=False, random_state=seed, key_added="tmp")
        membership = adata.obs["tmp"].astype(int).tolist()
        leiden_seeds.append(membership)
        leiden_modularity.append(graph.modularity(membership, weights="weight"))

    fixture = {
        "fixtureVersion": FIXTURE_VERSION,
        "source": os.path.basename(args.dataset),
        "versions": {"scib_metrics": scib_metrics.__version__, "scanpy": sc.__version__, "numpy": np.__version__},
        "cellCount": int(emb.shape[0]),
        "embeddingDimensions": int(emb.shape[1]),
        "preIntegrationDimensions": int(pre.shape[1]),
        "batches": batches.tolist(),
        "labels": labels.tolist(),
        "metrics": metrics,
        "kmeansSeedSpread": {"nmiMin": float(spread[:, 0].min()), "nmiMax": float(spread[:, 0].max()),
                             "ariMin": float(spread[:, 1].min()), "ariMax": float(spread[:, 1].max())},
        "scanpyNeighbors": {
            "nNeighbors": 15,
            "connectivitiesNonZero": int(conn.nnz),
            "connectivitiesRowSums": np.asarray(conn.sum(axis=1)).ravel().round(6).tolist(),
            "distancesNonZero": int(dist.nnz),
            "distancesRowSums": np.asarray(dist.sum(axis=1)).ravel().round(5).tolist(),
        },
        "leidenIgraph": adata.obs["leiden_igraph"].astype(int).tolist(),
        "leidenLeidenalg": adata.obs["leiden_leidenalg"].astype(int).tolist(),
        "leidenIgraphSeeds": leiden_seeds,
        "leidenIgraphModularity": leiden_modularity,
    }
    os.makedirs(args.out, exist_ok=True)
    emb.astype("<f4").tofile(os.path.join(args.out, "embedding.f32"))
    pre.astype("<f4").tofile(os.path.join(args.out, "pre_integration.f32"))
    with open(os.path.join(args.out, "scib_reference.json"), "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
    print("scib-metrics", scib_metrics.__version__, "on", os.path.basename(args.dataset), emb.shape)
    for k, v in metrics.items():
        print(f"  {k:18s} {v:.4f}")
    print("  k-means over 8 seeds: NMI", spread[:, 0].round(3), "ARI", spread[:, 1].round(3))
    print("  leiden clusters: igraph", adata.obs["leiden_igraph"].nunique(),
          "leidenalg", adata.obs["leiden_leidenalg"].nunique())


if __name__ == "__main__":
    main()
