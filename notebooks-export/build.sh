#!/usr/bin/env bash
# Rebuilds notebooks-export/ from the current code: builds cellvi in release, re-runs every cellvi command the
# notebooks show (and scvi-tools for the side-by-side), then executes each notebook and exports it as .ipynb
# (with outputs) + .html. Took 15 minutes on a shared 2-core VM, 10 of them `cellvi predict --all-cell-types`.
#
#   bash notebooks-export/build.sh
#
# Environment:
#   CELLVI_BIN=path   use this cellvi binary instead of building one
#   SCRATCH=dir       swift build --scratch-path (default .build, as `make`; binary DIR/release/cellvi)
#   WORK=dir          where the command outputs go (default notebooks-export/work, ignored by git)
#   NICE="nice -n 19" prefix for every heavy command (default: that; set NICE= to run at normal priority)
#   THREADS=2         threads for cellvi and scvi-tools
#   CELLVI_COMMIT=id  the commit to name at the top of each notebook (default: git rev-parse HEAD of this checkout)
# Needs: Swift, libhdf5-dev, libopenblas-dev (`make system-deps` installs them) and python3 with scanpy,
# nbclient, nbconvert, ipykernel and scvi-tools (installed with pip here if missing; scvi-tools pulls in torch).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
NICE=${NICE-nice -n 19}
THREADS=${THREADS:-2}
WORK=${WORK:-notebooks-export/work}
PBMC=datasets/pbmc10x_3tech_savercat/pbmc10x_3tech_savercat.h5ad
KANG=datasets/kang_combined_ifnb_scgen_3737/kang_combined_ifnb_scgen_3737.h5ad
START=$(date +%s)
step() { echo "== build.sh [$(( $(date +%s) - START ))s]: $*" >&2; }

# 1. cellvi, in release
if [ -n "${CELLVI_BIN:-}" ]; then
    CELLVI=$(realpath "$CELLVI_BIN")
else
    step "building cellvi (release)"
    make -s system-deps
    SCRATCH=${SCRATCH:-.build}
    $NICE swift build -c release --product cellvi --scratch-path "$SCRATCH"
    CELLVI=$ROOT/$SCRATCH/release/cellvi
fi
"$CELLVI" --version >/dev/null

# 2. Python packages the notebooks need
if ! python3 -c "import scanpy, nbformat, nbclient, nbconvert, ipykernel, scvi" 2>/dev/null; then
    step "installing Python packages"
    python3 -m pip install -q scanpy nbformat nbclient nbconvert ipykernel scvi-tools
fi

# 3. the commands; each is logged to $WORK/commands.txt (tag TAB command), which the notebooks print
mkdir -p "$WORK"
if [ -n "${CELLVI_COMMIT:-}" ]; then
    COMMIT=$CELLVI_COMMIT
elif COMMIT=$(git rev-parse --short HEAD 2>/dev/null); then
    git diff --quiet HEAD -- Sources Package.swift || COMMIT="$COMMIT + uncommitted changes"
else
    COMMIT=unknown
fi
printf 'commit\t# cellvi built from commit %s\n' "$COMMIT" > "$WORK/commands.txt"   # every output below is replaced
run() {  # run TAG [--stdout FILE] PROGRAM ARGS...: run one command and log it, with `cellvi` as the program name
    local tag=$1 out=""; shift
    if [ "$1" = --stdout ]; then out=$2; shift 2; fi
    local shown=("$@"); [ "$1" = "$CELLVI" ] && shown[0]=cellvi
    printf '%s\t%s\n' "$tag" "${shown[*]}${out:+ > $out}" >> "$WORK/commands.txt"
    step "${shown[*]}${out:+ > $out}"
    if [ -n "$out" ]; then $NICE "$@" > "$out"; else $NICE "$@"; fi
}
run pbmc-train "$CELLVI" train "$PBMC" --batch-key batch --labels-key cell_type --likelihood nb --epochs 100 \
    --seed 0 --threads "$THREADS" -o "$WORK/pbmc-train"
# scvi-tools right after cellvi, same file and settings, so their seconds per epoch see the same machine load
run side-scvi-tools python3 notebooks-export/scvi_tools_train.py "$PBMC" "$WORK/scvi-tools.json" --epochs 100 \
    --batch-key batch --seed 0 --threads "$THREADS" --latent "$WORK/scvi-tools-latent.npy" \
    --history "$WORK/scvi-tools-history.csv"
run pbmc-evaluate --stdout "$WORK/pbmc-evaluate.json" "$CELLVI" evaluate "$WORK/pbmc-train/cellvi.h5ad" \
    --embedding X_scVI --batch-key batch --labels-key cell_type --json
run pbmc-cluster "$CELLVI" cluster "$WORK/pbmc-train/cellvi.h5ad" --embedding X_scVI --resolution 0.5 --seed 0 \
    -o "$WORK/pbmc-clustered.h5ad" --csv "$WORK/pbmc-leiden.csv"
run kang-cd4t "$CELLVI" predict "$KANG" --condition-key condition --control ctrl --stimulated stim \
    --cell-type-key cell_type --target CD4T --holdout --seed 0 --threads "$THREADS" -o "$WORK/kang-cd4t"
run kang-all "$CELLVI" predict "$KANG" --condition-key condition --control ctrl --stimulated stim \
    --cell-type-key cell_type --all-cell-types --seed 0 --threads "$THREADS" -o "$WORK/kang-all"

# 4. execute and export the notebooks (they read $WORK, and call $CELLVI for a few quick `evaluate` / `elbo` runs)
step "executing the notebooks"
CELLVI=$CELLVI WORK=$(realpath "$WORK") $NICE python3 notebooks-export/make_notebooks.py
step "done"
ls -l notebooks-export/*.ipynb notebooks-export/*.html >&2
