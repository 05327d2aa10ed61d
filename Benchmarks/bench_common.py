"""Shared helpers for the cellvi benchmarks: locate/build cellvi, run a child and read its own rusage.

Peak memory is the child's ru_maxrss from os.wait4 (per process, kernel-measured, same for cellvi and Python).
"""
import os, shutil, subprocess, sys, time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(REPO, "Benchmarks")
PBMC = os.environ.get("CELLVI_PBMC", "/work/shared/datasets/pbmc10x_3tech_savercat/pbmc10x_3tech_savercat.h5ad")
MOUSE = os.environ.get("CELLVI_MOUSE", "/work/shared/datasets/scanpy_10x_mouse_10k_subset/scanpy_10x_mouse_10k_subset.h5ad")
if not os.path.exists(PBMC):  # the repository bundles this one
    PBMC = os.path.join(REPO, "datasets/pbmc10x_3tech_savercat/pbmc10x_3tech_savercat.h5ad")


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def cellvi_bin():
    """$CELLVI_BIN if set, else `swift build -c release --product cellvi` (incremental) and .build/release/cellvi."""
    b = os.environ.get("CELLVI_BIN")
    if b:
        return os.path.abspath(b)
    log("bench: swift build -c release --product cellvi")
    subprocess.run(["swift", "build", "-c", "release", "--product", "cellvi"], cwd=REPO, check=True,
                   stdout=sys.stderr)
    return os.path.join(REPO, ".build/release/cellvi")


def thread_env(threads=2):
    env = dict(os.environ)
    for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
        env[k] = str(threads)
    return env


def run_measured(cmd, env=None):
    """Run cmd with its stdout/stderr sent to files; return dict(rc, wall, maxrss_bytes, stdout, stderr)."""
    import tempfile
    with tempfile.TemporaryFile("w+") as fo, tempfile.TemporaryFile("w+") as fe:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, env=env, stdout=fo, stderr=fe)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        fo.seek(0); fe.seek(0)
        return dict(rc=p.returncode, wall=wall, maxrss_bytes=ru.ru_maxrss * 1024, user=ru.ru_utime,
                    sys=ru.ru_stime, stdout=fo.read(), stderr=fe.read())


def check(res, what):
    if res["rc"] != 0:
        log(res["stderr"][-4000:])
        raise SystemExit(f"bench: {what} failed with exit code {res['rc']}")
    return res


def read_history(path):
    import csv
    with open(path) as f:
        return list(csv.DictReader(f))


def median(xs):
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else 0.5 * (s[n // 2 - 1] + s[n // 2])


def table(rows, header):
    """Plain GitHub-markdown table."""
    w = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    line = lambda r: "| " + " | ".join(str(c).ljust(w[i]) for i, c in enumerate(r)) + " |"
    return "\n".join([line(header), "|" + "|".join("-" * (x + 2) for x in w) + "|"] + [line(r) for r in rows])
