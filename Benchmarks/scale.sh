#!/usr/bin/env bash
# Scale: cellvi training on 100k, 300k and 1M cells × 2,000 genes (2 epochs, 2 threads).
#
#   bash Benchmarks/scale.sh          (BENCH_DIR=/work/bench SIZES="100000 300000 1000000" EPOCHS=2)
#
# The files are made once by /work/shared/tools/upsample_h5ad.py (resampled, binomially thinned real PBMC
# cells; the 2,000 most expressed genes; uncompressed) into $BENCH_DIR — never into the repository — and
# reused if present. Reported per size: seconds per epoch (mean over the epochs in history.csv: training +
# validation, including the first epoch — with 2 epochs there is no warm-up to drop at this scale), seconds per
# epoch per million cells (linearity), whole-run wall time, and the peak RSS of the process
# (kernel ru_maxrss) against the in-memory CSR size nnz·8 bytes (float32 value + int32 index) + cells·8
# (int64 row pointer). Targets: ≤ 30 s/epoch at 1M cells, peak ≤ 1.5 × CSR + 1 GB.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"; repo="$(dirname "$here")"
BENCH_DIR="${BENCH_DIR:-/work/bench}"; EPOCHS="${EPOCHS:-2}"; THREADS="${THREADS:-2}"
SIZES="${SIZES:-100000 300000 1000000}"
UPSAMPLE="${UPSAMPLE:-/work/shared/tools/upsample_h5ad.py}"
SRC="${CELLVI_PBMC:-/work/shared/datasets/pbmc10x_3tech_savercat/pbmc10x_3tech_savercat.h5ad}"
[ -f "$SRC" ] || SRC="$repo/datasets/pbmc10x_3tech_savercat/pbmc10x_3tech_savercat.h5ad"

if [ -n "${CELLVI_BIN:-}" ]; then BIN="$CELLVI_BIN"; else
    (cd "$repo" && swift build -c release --product cellvi >&2); BIN="$repo/.build/release/cellvi"; fi
mkdir -p "$BENCH_DIR"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT

for n in $SIZES; do
    f="$BENCH_DIR/pbmc_${n}_g2000.h5ad"
    if [ ! -f "$f" ]; then
        echo "bench: making $f" >&2
        python3 "$UPSAMPLE" "$SRC" "$f" "$n" --genes 2000 >&2
    fi
done
for n in $SIZES; do
    f="$BENCH_DIR/pbmc_${n}_g2000.h5ad"; out="$tmp/out_$n"
    echo "bench: cellvi train $f ($EPOCHS epochs)" >&2
    load0="$(cut -d' ' -f1 /proc/loadavg)"
    /usr/bin/time -f "%e %M" -o "$tmp/time_$n" "$BIN" train "$f" --batch-key batch --likelihood nb \
        --epochs "$EPOCHS" --threads "$THREADS" --seed 0 -o "$out" 2> "$tmp/log_$n" \
        || { tail -20 "$tmp/log_$n" >&2; exit 1; }
    load1="$(cut -d' ' -f1 /proc/loadavg)"
    cp "$out/history.csv" "$tmp/history_$n.csv"; cp "$out/run_info.json" "$tmp/info_$n.json"
    echo "$load0 $load1" > "$tmp/load_$n"
    rm -rf "$out"
done

python3 - "$tmp" "$SIZES" <<'PY'
import csv, json, os, sys
tmp, sizes = sys.argv[1], sys.argv[2].split()
print("## Scale (cellvi train, nb, batch key, 2,000 genes, 2 threads)")
print("| cells | nnz | s/epoch | s/epoch per 1M cells | whole run s | peak RSS GB | CSR GB | peak / CSR | target peak GB | load avg |")
print("|---|---|---|---|---|---|---|---|---|---|")
out = []
for n in sizes:
    h = list(csv.DictReader(open(f"{tmp}/history_{n}.csv")))
    info = json.load(open(f"{tmp}/info_{n}.json"))
    wall, rss_kb = open(f"{tmp}/time_{n}").read().split()
    load = open(f"{tmp}/load_{n}").read().split()
    cells, nnz = info["data"]["cells"], info["data"]["nnz"]
    spe = sum(float(r["seconds"]) for r in h) / len(h)
    csr = (nnz * 8 + cells * 8) / 2**30
    peak = int(rss_kb) / 2**20
    rec = dict(cells=cells, nnz=nnz, s_per_epoch=spe, s_per_epoch_per_million=spe / cells * 1e6,
               epoch_seconds=[float(r["seconds"]) for r in h], wall=float(wall), peak_rss_gb=peak, csr_gb=csr,
               target_peak_gb=1.5 * csr + 1, load_average=[float(x) for x in load])
    out.append(rec)
    print(f"| {cells:,} | {nnz:,} | {spe:.1f} | {rec['s_per_epoch_per_million']:.1f} | {float(wall):.0f} | "
          f"{peak:.2f} | {csr:.2f} | {peak / csr:.2f} | {rec['target_peak_gb']:.2f} | {load[0]}→{load[1]} |")
print("s/epoch = mean of the epochs in history.csv (training + validation). Linear scaling = constant s/epoch per 1M cells.")
json.dump(out, open(os.environ.get("SCALE_JSON", os.devnull), "w"), indent=1)
PY
