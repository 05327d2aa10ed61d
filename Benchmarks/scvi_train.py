#!/usr/bin/env python3
"""Train scvi-tools' SCVI on CPU the way the cellvi benchmarks compare against, and write a JSON record.

usage: scvi_train.py INPUT.h5ad OUT.json --epochs N [--batch-key K] [--threads 2] [--seed 0] [--latent OUT.npy]

Settings: SCVI(adata, gene_likelihood="nb"), other settings default; train(batch_size=128,
check_val_every_n_epoch=1 — scvi-tools 1.4 otherwise skips validation —, accelerator="cpu").
All-zero cells are dropped first, as cellvi does. Per-epoch seconds come from a Lightning callback:
the time between consecutive on_train_epoch_start calls (training + validation + logging of that
epoch); the last epoch ends at on_train_end.
"""
import argparse, json, os, sys, time

ap = argparse.ArgumentParser()
ap.add_argument("input"); ap.add_argument("output")
ap.add_argument("--epochs", type=int, required=True)
ap.add_argument("--batch-key", default=None)
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--seed", type=int, default=0)
ap.add_argument("--latent", default=None, help="write the latent (posterior means) as .npy")
a = ap.parse_args()

for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[k] = str(a.threads)
import warnings; warnings.filterwarnings("ignore")
import logging; logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
import numpy as np, torch, anndata, scvi
from lightning.pytorch.callbacks import Callback

torch.set_num_threads(a.threads)
scvi.settings.num_threads = a.threads
scvi.settings.dl_num_workers = 0
scvi.settings.seed = a.seed

t_load = time.perf_counter()
adata = anndata.read_h5ad(a.input)
totals = np.asarray(adata.X.sum(1)).ravel()
if (totals == 0).any():
    adata = adata[totals > 0].copy()
t_load = time.perf_counter() - t_load


class EpochTimer(Callback):
    def __init__(self):
        self.starts, self.end = [], None

    def on_train_epoch_start(self, trainer, module):
        self.starts.append(time.perf_counter())

    def on_train_end(self, trainer, module):
        self.end = time.perf_counter()


timer = EpochTimer()
scvi.model.SCVI.setup_anndata(adata, batch_key=a.batch_key)
model = scvi.model.SCVI(adata, gene_likelihood="nb")
t_train = time.perf_counter()
model.train(max_epochs=a.epochs, batch_size=128, accelerator="cpu", devices=1, check_val_every_n_epoch=1,
            callbacks=[timer], enable_progress_bar=False, enable_model_summary=False)
t_train = time.perf_counter() - t_train
marks = timer.starts + [timer.end]
epoch_seconds = [marks[i + 1] - marks[i] for i in range(len(timer.starts))]
h = model.history
last = lambda k: float(h[k].iloc[-1, 0]) if k in h else None
rec = dict(cells=int(adata.n_obs), genes=int(adata.n_vars), epochs=len(epoch_seconds), epoch_seconds=epoch_seconds,
           load_seconds=t_load, train_seconds=t_train, elbo_train=last("elbo_train"),
           elbo_validation=last("elbo_validation"), reconstruction_validation=last("reconstruction_loss_validation"),
           kl_validation=last("kl_local_validation"), scvi_version=scvi.__version__, torch_version=torch.__version__,
           threads=torch.get_num_threads())
if a.latent:
    np.save(a.latent, model.get_latent_representation())
    # ELBO on every cell (same cells for both tools, unlike the validation split); loss sign, lower is better
    rec["elbo_all_cells"] = float(-model.get_elbo())
with open(a.output, "w") as f:
    json.dump(rec, f, indent=1)
print(json.dumps({k: v for k, v in rec.items() if k != "epoch_seconds"}), file=sys.stderr)
