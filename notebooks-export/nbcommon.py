"""Shared set-up for the notebooks (imported by each; not a notebook itself)."""
import json, os, subprocess, warnings

import matplotlib
import matplotlib.pyplot as plt
import scanpy as sc

WORK = os.path.relpath(os.environ.get("WORK", "work"))          # where build.sh wrote the cellvi outputs
CELLVI = os.environ.get("CELLVI", "../.build/release/cellvi")  # the binary build.sh built
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

warnings.filterwarnings("ignore", message="IProgress not found")  # tqdm without ipywidgets
sc.settings.verbosity = 0
sc.set_figure_params(dpi=90, frameon=True, vector_friendly=True, fontsize=10, ipython_format="png")
matplotlib.rcParams.update({"figure.dpi": 90, "savefig.dpi": 90, "axes.grid": False})


def commands(*prefixes):
    """The commit cellvi was built from and the commands build.sh ran whose tags start with one of PREFIXES, as it
    logged them in WORK/commands.txt."""
    with open(os.path.join(WORK, "commands.txt")) as f:
        for line in f:
            tag, _, command = line.rstrip("\n").partition("\t")
            if tag == "commit" or tag.startswith(prefixes):
                print(command)


def cellvi_json(*args):
    """Runs `cellvi ARGS --json` (printing it with paths from the repository root) and returns its JSON output."""
    shown = [os.path.relpath(os.path.abspath(a), REPO) if a.startswith((WORK + "/", "../")) else a for a in args]
    print("$ cellvi " + " ".join(shown) + " --json")
    out = subprocess.run([CELLVI, *args, "--json"], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)
