#!/usr/bin/env bash
# Read speed: a 200,000-cell gzip-compressed .h5ad read by cellvi vs Python's anndata.
#
#   bash Benchmarks/read_speed.sh            (REPS=5 BENCH_DIR=/work/bench by default)
#
# cellvi:  `cellvi inspect FILE --json > /dev/null` — reads and decompresses every matrix, computes per-cell
#          totals and the integer/non-negative/finite checks; timed as the whole process (wall clock).
# anndata: `anndata.read_h5ad(FILE)` (fully in memory, not backed) + `X.data.sum()` to touch every value;
#          timed inside Python (interpreter start-up and imports excluded), the process wall clock is shown too.
# Both read from a warm page cache (the file is read once, untimed, before). Median of REPS runs each.
# The file is made once by /work/shared/tools/upsample_h5ad.py (--gzip, all 10,000 genes) and is never
# put in the repository.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"; repo="$(dirname "$here")"
BENCH_DIR="${BENCH_DIR:-/work/bench}"; REPS="${REPS:-5}"
UPSAMPLE="${UPSAMPLE:-/work/shared/tools/upsample_h5ad.py}"
SRC="${CELLVI_PBMC:-/work/shared/datasets/pbmc10x_3tech_savercat/pbmc10x_3tech_savercat.h5ad}"
[ -f "$SRC" ] || SRC="$repo/datasets/pbmc10x_3tech_savercat/pbmc10x_3tech_savercat.h5ad"
FILE="$BENCH_DIR/pbmc_200k.h5ad"

if [ -n "${CELLVI_BIN:-}" ]; then BIN="$CELLVI_BIN"; else
    (cd "$repo" && swift build -c release --product cellvi >&2); BIN="$repo/.build/release/cellvi"; fi
mkdir -p "$BENCH_DIR"
if [ ! -f "$FILE" ]; then
    echo "bench: making $FILE (200,000 cells, gzip)" >&2
    python3 "$UPSAMPLE" "$SRC" "$FILE" 200000 --gzip >&2
fi
cat "$FILE" > /dev/null   # warm the page cache for both readers

tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
for i in $(seq "$REPS"); do
    /usr/bin/time -f "%e %M" -o "$tmp/t" "$BIN" inspect "$FILE" --json > "$tmp/inspect.json"
    cat "$tmp/t" >> "$tmp/cellvi"
    /usr/bin/time -f "%e %M" -o "$tmp/t" python3 -c '
import sys, time, anndata
t = time.perf_counter(); a = anndata.read_h5ad(sys.argv[1]); s = a.X.data.sum(); t = time.perf_counter() - t
print(t)' "$FILE" >> "$tmp/py_inproc"
    cat "$tmp/t" >> "$tmp/py_proc"
done

python3 - "$tmp" "$FILE" "$REPS" <<'PY'
import json, os, sys, statistics as st
tmp, path, reps = sys.argv[1], sys.argv[2], sys.argv[3]
rows = lambda f: [l.split() for l in open(os.path.join(tmp, f)) if l.strip()]
cv = rows("cellvi"); pp = rows("py_proc"); pi = [float(r[0]) for r in rows("py_inproc")]
info = json.load(open(os.path.join(tmp, "inspect.json")))
c_med = st.median(float(r[0]) for r in cv); p_med = st.median(pi); pw_med = st.median(float(r[0]) for r in pp)
c_rss = max(int(r[1]) for r in cv) / 1024; p_rss = max(int(r[1]) for r in pp) / 1024
size = os.path.getsize(path) / 2**20
print(f"## Read speed ({info['n_obs']:,} cells × {info['n_vars']:,} genes, nnz {info['x']['nnz']:,}, "
      f"gzip .h5ad {size:.0f} MB; median of {reps}; warm page cache)")
print("| reader | seconds | peak RSS MB |")
print("|---|---|---|")
print(f"| cellvi inspect --json (whole process) | {c_med:.2f} | {c_rss:.0f} |")
print(f"| anndata.read_h5ad + touch X (in Python) | {p_med:.2f} | {p_rss:.0f} |")
print(f"| anndata, whole python process | {pw_med:.2f} | |")
print(f"speed-up (anndata in-Python read / cellvi whole process): {p_med / c_med:.1f}×")
json.dump(dict(cells=info["n_obs"], genes=info["n_vars"], nnz=info["x"]["nnz"], file_mb=size,
               cellvi_seconds=c_med, anndata_seconds=p_med, anndata_process_seconds=pw_med,
               cellvi_peak_rss_mb=c_rss, anndata_peak_rss_mb=p_rss, ratio=p_med / c_med,
               load_average=os.getloadavg()[0]),
          open(os.environ.get("READ_SPEED_JSON", os.devnull), "w"), indent=1)
PY
