#!/usr/bin/env bash
# All cellvi benchmarks, one summary table at the end.
#
#   bash Benchmarks/run.sh [--quality] [--scale]        (also: make bench)
#
# Always: training speed vs scvi-tools (train_speed.py) and read speed vs anndata (read_speed.sh).
# --quality: 100-epoch ELBO and scib-metrics comparison (quality.py, ~5–30 min).
# --scale:   100k / 300k / 1M-cell training (scale.sh; makes ~6 GB of files in $BENCH_DIR once).
# Environment: CELLVI_BIN (use this binary instead of building), BENCH_DIR (/work/bench), EPOCHS_SPEED (8),
# RESULTS_DIR (where the per-benchmark reports and JSON go; default bench-out/ in the repository, ignored by git).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"; repo="$(dirname "$here")"
quality=0; scale=0
for arg in "$@"; do
    case "$arg" in
        --quality) quality=1 ;;
        --scale) scale=1 ;;
        -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown option $arg (use --quality, --scale)" >&2; exit 2 ;;
    esac
done
if [ -z "${CELLVI_BIN:-}" ]; then
    (cd "$repo" && swift build -c release --product cellvi >&2)
    export CELLVI_BIN="$repo/.build/release/cellvi"
fi
R="${RESULTS_DIR:-$repo/bench-out}"; mkdir -p "$R"
echo "bench: machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$R/machine.txt" >&2

python3 "$here/train_speed.py" --epochs "${EPOCHS_SPEED:-8}" --json "$R/train_speed.json" | tee "$R/train_speed.md"
READ_SPEED_JSON="$R/read_speed.json" bash "$here/read_speed.sh" | tee "$R/read_speed.md"
rm -f "$R/quality.json" "$R/scale.json"
if [ "$quality" = 1 ]; then python3 "$here/quality.py" --json "$R/quality.json" | tee "$R/quality.md"; fi
if [ "$scale" = 1 ]; then SCALE_JSON="$R/scale.json" bash "$here/scale.sh" | tee "$R/scale.md"; fi

python3 - "$R" <<'PY' | tee "$R/summary.md"
import json, os, sys
R = sys.argv[1]
load = lambda n: json.load(open(os.path.join(R, n))) if os.path.exists(os.path.join(R, n)) else None
rows = []
ok = lambda b: "yes" if b else "NO"
targets = {"pbmc10x_3tech_savercat": 10, "scanpy_10x_mouse_10k_subset": 12}
for r in load("train_speed.json") or []:
    t = targets.get(r["dataset"])
    rows.append([f"train speed-up vs scvi-tools, {r['dataset']}",
                 f"{r['ratio']:.1f}× ({r['cellvi_s_per_epoch']:.3f} vs {r['scvi_s_per_epoch']:.3f} s/epoch)",
                 f"≥ {t}×", ok(r["ratio"] >= t)])
    rows.append([f"cellvi roofline fraction, {r['dataset']}",
                 f"{100 * r['cellvi_roofline']:.0f} % ({r['cellvi_gflops']:.1f} of {r['sgemm_gflops']:.0f} GFLOP/s)",
                 "≥ 60 %", ok(r["cellvi_roofline"] >= 0.6)])
    rows.append([f"peak RSS, {r['dataset']}", f"cellvi {r['cellvi_peak_rss_mb']:.0f} MB, scvi-tools "
                 f"{r['scvi_peak_rss_mb']:.0f} MB", "", ""])
rs = load("read_speed.json")
if rs:
    rows.append(["read 200k-cell gzip .h5ad, speed-up vs anndata",
                 f"{rs['ratio']:.1f}× ({rs['cellvi_seconds']:.2f} vs {rs['anndata_seconds']:.2f} s)", "", ""])
q = load("quality.json")
if q:
    rel = q["elbo_relative_difference"]
    rows.append(["validation ELBO, cellvi vs scvi-tools", f"{q['cellvi']['elbo_validation']:.1f} vs "
                 f"{q['scvi']['elbo_validation']:.1f} ({100 * rel:+.2f} %)", "≤ +0.5 %", ok(rel <= 0.005)])
    if "elbo_all_cells_relative_difference" in q:
        ra = q["elbo_all_cells_relative_difference"]
        rows.append(["ELBO on all cells (same cells), cellvi vs scvi-tools", f"{q['cellvi']['elbo_all_cells']:.1f} vs "
                     f"{q['scvi']['elbo_all_cells']:.1f} ({100 * ra:+.2f} %)", "≤ +0.5 %", ok(ra <= 0.005)])
    for k in ("cellvi", "scvi-tools"):
        tot = q["scib"][k]["Total"]
        rows.append([f"scib-metrics Total, {k} latent", f"{tot:.3f}", "≥ 0.638", ok(tot >= 0.638)])
for s in load("scale.json") or []:
    line = [f"scale {s['cells']:,} cells × 2000 genes", f"{s['s_per_epoch']:.1f} s/epoch, peak "
            f"{s['peak_rss_gb']:.2f} GB (CSR {s['csr_gb']:.2f} GB)"]
    if s["cells"] >= 1_000_000:
        line += ["≤ 30 s/epoch, ≤ 1.5×CSR+1 GB",
                 ok(s["s_per_epoch"] <= 30 and s["peak_rss_gb"] <= s["target_peak_gb"])]
    else:
        line += ["", ""]
    rows.append(line)
w = [max(len(str(r[i])) for r in rows + [["benchmark", "result", "target", "met"]]) for i in range(4)]
print("## Summary")
for j, r in enumerate([["benchmark", "result", "target", "met"]] + rows):
    print("| " + " | ".join(str(c).ljust(w[i]) for i, c in enumerate(r)) + " |")
    if j == 0:
        print("|" + "|".join("-" * (x + 2) for x in w) + "|")
PY
