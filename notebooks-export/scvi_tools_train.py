#!/usr/bin/env python3
"""Train scvi-tools' SCVI exactly as Benchmarks/scvi_train.py does, and also write its per-epoch history.

usage: scvi_tools_train.py INPUT.h5ad OUT.json --epochs N [--batch-key K] [--threads 2] [--seed 0]
                           [--latent OUT.npy] --history OUT.csv

Every argument except --history is passed on to Benchmarks/scvi_train.py, which is run unchanged (so the
settings are the ones the benchmarks compare against: nb likelihood, batch 128, validation every epoch, CPU).
Its trained `model` is then read from the script's namespace and `model.history` (elbo_train,
elbo_validation, reconstruction_loss_*, kl_local_* per epoch, as Lightning logged them) is written as CSV.
"""
import os, runpy, sys

HERE = os.path.dirname(os.path.abspath(__file__))
args = sys.argv[1:]
if "--history" not in args or args.index("--history") + 1 >= len(args):
    sys.exit("scvi_tools_train.py: --history OUT.csv is required (the other arguments are scvi_train.py's)")
i = args.index("--history")
history_path = args[i + 1]
del args[i:i + 2]

script = os.path.join(HERE, "..", "Benchmarks", "scvi_train.py")
sys.argv = [script] + args
namespace = runpy.run_path(script, run_name="__main__")

import pandas as pd  # noqa: E402  (imported after scvi_train.py has set the thread variables)

history = namespace["model"].history
columns = {key: frame.iloc[:, 0] for key, frame in history.items()
           if key.endswith(("_train", "_validation")) and frame.shape[1] == 1}
table = pd.DataFrame(columns)
table.index.name = "epoch"
table.to_csv(history_path)
print(f"scvi_tools_train.py: wrote {history_path} ({len(table)} epochs, columns {', '.join(table.columns)})",
      file=sys.stderr)
