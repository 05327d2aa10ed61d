#!/usr/bin/env python3
"""Writes the reader test fixtures into Tests/Fixtures/{h5ad,10x}/ with JSON sidecars.

Each fixture `<name>` has `<name>.expected.json` describing what a reader must find.
Expected values come from reading the written file back with anndata / scanpy (never
from the in-memory objects used to write it), so they record what the reference
implementation sees. Schema: see Tests/Fixtures/README.md.

Run from the repository root:  python3 Tests/Fixtures/make_fixtures.py
Needs anndata 0.12, h5py, scanpy, numpy, pandas, scipy. Deterministic (seeded).
"""

from __future__ import annotations

import gzip
import json
import math
import shutil
import warnings
from pathlib import Path

import anndata as ad
import h5py
import numpy as np
import pandas as pd
import scanpy as sc
import scipy.sparse as sp

warnings.filterwarnings("ignore")
ad.settings.allow_write_nullable_strings = True

ROOT = Path(__file__).resolve().parent
H5AD = ROOT / "h5ad"
TENX = ROOT / "10x"
VLEN_STR = h5py.string_dtype("utf-8")


# ---------------------------------------------------------------- JSON helpers

def jsonable(value):
    """Plain JSON types; non-finite floats become "NaN" / "Infinity" / "-Infinity"."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return v
    if isinstance(value, bytes):
        return value.decode()
    return str(value)


def write_expected(path: Path, expected: dict) -> None:
    Path(str(path) + ".expected.json").write_text(json.dumps(jsonable(expected), indent=1) + "\n")


def describe_matrix(m) -> dict:
    """Shape, nnz and the full dense values (fixtures are tiny)."""
    dense = m.toarray() if sp.issparse(m) else np.asarray(m)
    out = {"shape": list(dense.shape), "dense": dense.tolist()}
    if sp.issparse(m):
        out["nnz"] = int(m.nnz)
    else:
        out["nnz"] = int(np.count_nonzero(dense))
    out["dtype"] = str(dense.dtype)
    return out


def describe_column(series: pd.Series) -> dict:
    """Name, cellvi type name (ColumnValues.typeName) and values (null = missing)."""
    dt = series.dtype
    col = {"name": series.name}
    if isinstance(dt, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy()
        col.update(type="categorical", categories=[str(c) for c in dt.categories],
                   ordered=bool(dt.ordered), codes=codes.tolist(),
                   values=[None if c < 0 else str(dt.categories[c]) for c in codes])
    elif isinstance(dt, pd.Int64Dtype) or (isinstance(dt, pd.api.extensions.ExtensionDtype) and dt.kind in "iu"):
        col.update(type="nullable-int", values=[None if pd.isna(v) else int(v) for v in series])
    elif isinstance(dt, pd.BooleanDtype):
        col.update(type="nullable-bool", values=[None if pd.isna(v) else bool(v) for v in series])
    elif isinstance(dt, pd.StringDtype) or dt == object:
        col.update(type="string", values=[None if pd.isna(v) else str(v) for v in series])
    elif dt.kind == "b":
        col.update(type="bool", values=series.tolist())
    elif dt.kind in "iu":
        col.update(type="int", values=series.tolist())
    elif dt.kind == "f":
        col.update(type="float", values=series.tolist())
    else:
        raise TypeError(f"unhandled dtype {dt} in column {series.name}")
    return col


def describe_frame(df: pd.DataFrame) -> dict:
    return {"index": [str(i) for i in df.index], "columns": [describe_column(df[c]) for c in df.columns]}


def flatten_uns(uns, prefix="") -> dict:
    """`uns` as cellvi's UnsValue sees it: nested dicts flattened to `a/b`."""
    out = {}
    for key, value in uns.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten_uns(value, name + "/"))
        elif isinstance(value, np.ndarray):
            if value.dtype.kind in "OUS":
                out[name] = {"type": "strings", "value": [str(v) for v in value]}
            else:
                out[name] = {"type": "doubles", "value": value.astype(float).tolist()}
        elif isinstance(value, (bool, np.bool_)):
            out[name] = {"type": "boolean", "value": bool(value)}
        elif isinstance(value, (int, np.integer)):
            out[name] = {"type": "integer", "value": int(value)}
        elif isinstance(value, (float, np.floating)):
            out[name] = {"type": "double", "value": float(value)}
        elif isinstance(value, (str, bytes)):
            out[name] = {"type": "string", "value": value.decode() if isinstance(value, bytes) else value}
        else:
            raise TypeError(f"unhandled uns value {name}: {type(value)}")
    return out


def on_disk_x(path: Path, key: str = "X") -> dict:
    """What the file itself holds for X (encoding, dtypes, compression), via h5py."""
    with h5py.File(path, "r") as f:
        if key not in f:
            return {}
        node = f[key]
        if isinstance(node, h5py.Dataset):
            return {"encoding": "dense", "dtype": str(node.dtype), "compression": node.compression}
        enc = node.attrs.get("encoding-type", node.attrs.get("h5sparse_format", ""))
        enc = enc.decode() if isinstance(enc, bytes) else str(enc)
        return {"encoding": enc, "dtype": str(node["data"].dtype),
                "index_dtype": str(node["indices"].dtype), "indptr_dtype": str(node["indptr"].dtype),
                "compression": node["data"].compression}


def describe_h5ad(path: Path, layout: str, notes: str = "") -> dict:
    """Read `path` with anndata and describe everything a reader must find."""
    a = ad.read_h5ad(path)
    exp = {"file": path.name, "layout": layout, "notes": notes,
           "shape": list(a.shape), "obs_names": list(map(str, a.obs_names)),
           "var_names": list(map(str, a.var_names)),
           "X": {**describe_matrix(a.X), "on_disk": on_disk_x(path)} if a.X is not None else None,
           "obs": describe_frame(a.obs), "var": describe_frame(a.var),
           "layers": {k: describe_matrix(v) for k, v in a.layers.items()},
           "obsm": {k: describe_matrix(np.asarray(v)) for k, v in a.obsm.items()},
           "uns": flatten_uns(a.uns), "raw": None}
    if a.raw is not None:
        exp["raw"] = {"shape": list(a.raw.shape), "var_names": list(map(str, a.raw.var_names)),
                      "var": describe_frame(a.raw.var), "X": describe_matrix(a.raw.X)}
    return exp


# ---------------------------------------------------------------- data

RNG = np.random.default_rng(20240601)


def counts(n_obs: int, n_vars: int, density: float = 0.4) -> np.ndarray:
    """Small integer counts with a few zeros; rows and columns never all zero."""
    m = RNG.poisson(3.0, size=(n_obs, n_vars)) * (RNG.random((n_obs, n_vars)) < density)
    m[np.arange(n_obs), np.arange(n_obs) % n_vars] += 1
    m[np.arange(n_vars) % n_obs, np.arange(n_vars)] += 1
    return m.astype(np.int32)


def names(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{i}" for i in range(n)]


def basic(n_obs=8, n_vars=6, dtype=np.int32, fmt="csr") -> ad.AnnData:
    x = counts(n_obs, n_vars).astype(dtype)
    x = {"csr": sp.csr_matrix, "csc": sp.csc_matrix, "dense": np.asarray}[fmt](x)
    return ad.AnnData(x, obs=pd.DataFrame(index=names("cell", n_obs)),
                      var=pd.DataFrame(index=names("gene", n_vars)))


def cycled(values: list, n: int) -> list:
    return [values[i % len(values)] for i in range(n)]


def obs_with_every_column_type(n: int) -> pd.DataFrame:
    obs = pd.DataFrame(index=[f"AAAC-{i}" for i in range(n)])
    obs["label"] = [f"unique-{i}" for i in range(n)]                      # stays string-array
    score = np.linspace(-1.5, 2.25, n)
    score[2] = np.nan
    obs["score"] = score
    obs["n_genes"] = np.arange(n, dtype=np.int64) * 7
    obs["is_doublet"] = np.arange(n) % 3 == 0
    obs["batch"] = pd.Categorical(cycled(["b1", "b2", None, "b1", "b3", "b2", "b1", None], n),
                                  categories=["b1", "b2", "b3"])          # int8 codes, −1 missing
    obs["stage"] = pd.Categorical(cycled(["early", "late"], n), categories=["early", "late"], ordered=True)
    many = [f"type{i:03d}" for i in range(200)]
    obs["fine_type"] = pd.Categorical.from_codes((np.arange(n) * 23) % 200, categories=many)  # int16 codes
    obs["n_counts_nullable"] = pd.array(cycled([10, None, 30, 40, None, 60, 70, 80], n), dtype="Int64")
    obs["passed_qc"] = pd.array(cycled([True, False, None, True, True, None, False, True], n), dtype="boolean")
    obs["donor_note"] = pd.array([f"note-{i}" if i % 4 else None for i in range(n)], dtype="string")
    return obs


# ---------------------------------------------------------------- h5ad (anndata-written)

def write_anndata_fixtures() -> None:
    cases = []

    a = basic(fmt="csr", dtype=np.int32)
    a.write_h5ad(H5AD / "csr_int32.h5ad")
    cases.append(("csr_int32.h5ad", "X CSR int32 counts, int32 indices; empty var frame"))

    a = basic(n_obs=7, n_vars=5, fmt="csr", dtype=np.float32)
    a.X.data *= 0.5
    a.write_h5ad(H5AD / "csr_float32.h5ad")
    cases.append(("csr_float32.h5ad", "X CSR float32 with fractional values"))

    a = basic(n_obs=9, n_vars=6, fmt="csc", dtype=np.float32)
    a.write_h5ad(H5AD / "csc_float32.h5ad")
    cases.append(("csc_float32.h5ad", "X stored CSC (genes compressed); reader must return cells × genes"))

    a = basic(n_obs=6, n_vars=5, fmt="dense", dtype=np.float32)
    a.write_h5ad(H5AD / "dense_float32.h5ad")
    cases.append(("dense_float32.h5ad", "X as a dense 2-d float32 dataset"))

    a = basic(n_obs=6, n_vars=7, fmt="dense", dtype=np.float64)
    a.write_h5ad(H5AD / "dense_float64.h5ad")
    cases.append(("dense_float64.h5ad", "X as a dense 2-d float64 dataset"))

    a = basic(n_obs=10, n_vars=8, fmt="csr", dtype=np.float32)
    path = H5AD / "csr_int64_indices.h5ad"
    a.write_h5ad(path)
    with h5py.File(path, "r+") as f:  # rewrite indices / indptr as int64, as large files have
        for key in ("indices", "indptr"):
            values = f["X"][key][()].astype(np.int64)
            del f["X"][key]
            f["X"].create_dataset(key, data=values)
            f["X"][key].attrs["encoding-type"] = "array"
            f["X"][key].attrs["encoding-version"] = "0.2.0"
    cases.append((path.name, "X CSR float32 with int64 indices and indptr"))

    a = basic(n_obs=12, n_vars=9, fmt="csr", dtype=np.int32)
    a.obs = obs_with_every_column_type(12)
    a.write_h5ad(H5AD / "gzip_csr.h5ad", compression="gzip", convert_strings_to_categoricals=False)
    cases.append(("gzip_csr.h5ad", "every dataset gzip-compressed (chunked), obs with every column type"))

    a = basic(n_obs=8, n_vars=6)
    a.obs = obs_with_every_column_type(8)
    a.var["gene_symbol"] = [f"SYM{i}" for i in range(6)]
    a.var["highly_variable"] = np.array([True, False, True, False, False, True])
    a.var["mean"] = np.arange(6, dtype=np.float64) / 4
    a.write_h5ad(H5AD / "obs_columns.h5ad", convert_strings_to_categoricals=False)
    cases.append(("obs_columns.h5ad", "obs: string, float (one NaN), int, bool, categorical int8 with −1, "
                  "ordered categorical, categorical with 200 categories (int16 codes), nullable int/bool/string"))

    a = basic(n_obs=8, n_vars=5)
    a.layers["counts"] = a.X.copy()
    a.layers["normalized"] = sp.csr_matrix(a.X.toarray().astype(np.float32) / 2)
    a.layers["dense_layer"] = a.X.toarray().astype(np.float32) + 1
    a.obsm["X_pca"] = RNG.standard_normal((8, 3)).astype(np.float32)
    a.obsm["X_umap"] = RNG.standard_normal((8, 2))
    a.uns["title"] = "tiny fixture"
    a.uns["n_pcs"] = 3
    a.uns["resolution"] = 0.75
    a.uns["use_raw"] = False
    a.uns["colors"] = np.array(["#ff0000", "#00ff00"], dtype=object)
    a.uns["weights"] = np.array([0.5, 1.5, 2.5])
    a.uns["params"] = {"method": "leiden", "seed": 42, "inner": {"scale": 1.25}}
    a.write_h5ad(H5AD / "layers_obsm_uns.h5ad")
    cases.append(("layers_obsm_uns.h5ad", "layers (CSR int32, CSR float32, dense), obsm float32/float64, "
                  "uns scalars, strings, arrays and a nested dict"))

    full = basic(n_obs=8, n_vars=10)
    full.var["gene_ids"] = [f"ENSG{i:05d}" for i in range(10)]
    full.raw = full
    a = full[:, [0, 2, 3, 5, 7]].copy()
    a.X = sp.csr_matrix(np.log1p(a.X.toarray()).astype(np.float32))
    a.write_h5ad(H5AD / "raw.h5ad")
    cases.append(("raw.h5ad", "X log1p of 5 genes; raw keeps 10 genes with raw/var gene_ids"))

    for name, notes in cases:
        write_expected(H5AD / name, describe_h5ad(H5AD / name, "anndata-0.12", notes))


# ---------------------------------------------------------------- h5ad (raw h5py)

def fixed_str_attr(obj, name: str, value: str) -> None:
    """A fixed-length NULLPAD ASCII string attribute, as R/Julia writers produce."""
    tid = h5py.h5t.C_S1.copy()
    tid.set_size(max(1, len(value)))
    tid.set_strpad(h5py.h5t.STR_NULLPAD)
    space = h5py.h5s.create(h5py.h5s.SCALAR)
    if name in obj.attrs:
        del obj.attrs[name]
    attr = h5py.h5a.create(obj.id, name.encode(), tid, space)
    attr.write(np.array(value.encode(), dtype=f"S{max(1, len(value))}"))


def fixed_str_array_attr(obj, name: str, values: list[str]) -> None:
    width = max([1] + [len(v) for v in values])
    tid = h5py.h5t.C_S1.copy()
    tid.set_size(width)
    tid.set_strpad(h5py.h5t.STR_NULLPAD)
    space = h5py.h5s.create_simple((len(values),))
    attr = h5py.h5a.create(obj.id, name.encode(), tid, space)
    attr.write(np.array([v.encode() for v in values], dtype=f"S{width}"))


def fixed_str_dataset(group, name: str, values: list[str]):
    width = max([1] + [len(v) for v in values])
    tid = h5py.h5t.C_S1.copy()
    tid.set_size(width)
    tid.set_strpad(h5py.h5t.STR_NULLPAD)
    data = np.array([v.encode() for v in values], dtype=f"S{width}")
    space = h5py.h5s.create_simple((len(values),))
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_obj_track_times(False)  # byte-stable output
    dsid = h5py.h5d.create(group.id, name.encode(), tid, space, dcpl=dcpl)
    dsid.write(h5py.h5s.ALL, h5py.h5s.ALL, data)
    return group[name]


def encode(obj, kind: str, version: str) -> None:
    fixed_str_attr(obj, "encoding-type", kind)
    fixed_str_attr(obj, "encoding-version", version)


def write_fixed_length_strings() -> None:
    """anndata 0.8 layout written like R/Julia do: every string attribute and string
    dataset is fixed-length NULLPAD (no terminating NUL)."""
    path = H5AD / "fixed_length_strings.h5ad"
    x = counts(6, 5)
    csr = sp.csr_matrix(x)
    cells, genes = names("bc", 6), ["CD3E", "MS4A1", "LYZ", "NKG7", "GNLY"]
    with h5py.File(path, "w") as f:
        encode(f, "anndata", "0.1.0")
        g = f.create_group("X")
        encode(g, "csr_matrix", "0.1.0")
        g.attrs["shape"] = np.array(x.shape, dtype=np.int64)
        g["data"], g["indices"], g["indptr"] = csr.data, csr.indices, csr.indptr
        for frame, index, cols in (("obs", cells, ["cell_type"]), ("var", genes, [])):
            d = f.create_group(frame)
            encode(d, "dataframe", "0.2.0")
            fixed_str_attr(d, "_index", "_index")
            if cols:
                fixed_str_array_attr(d, "column-order", cols)
            else:
                d.attrs["column-order"] = np.array([], dtype=np.float64)
            encode(fixed_str_dataset(d, "_index", index), "string-array", "0.2.0")
        cat = f["obs"].create_group("cell_type")
        encode(cat, "categorical", "0.2.0")
        cat.attrs["ordered"] = np.bool_(False)
        cat["codes"] = np.array([0, 1, 0, 2, -1, 1], dtype=np.int8)
        encode(fixed_str_dataset(cat, "categories", ["T cell", "B cell", "Monocyte"]), "string-array", "0.2.0")
        for name in ("layers", "obsm", "uns"):
            encode(f.create_group(name), "dict", "0.1.0")
        s = f["uns"].create_dataset("method", data=np.array(b"written-by-R", dtype="S12"))
        encode(s, "string", "0.2.0")
    write_expected(path, describe_h5ad(path, "anndata-0.8-fixed-length-strings",
                                       "raw h5py: fixed-length NULLPAD string attributes and string datasets"))


def write_legacy_v07() -> None:
    """anndata 0.7: no root encoding attrs, dataframe 0.1.0, categorical codes dataset with
    attribute `categories` = object reference to obs/__categories/<col>."""
    path = H5AD / "legacy_v07.h5ad"
    x = counts(7, 5)
    csr = sp.csr_matrix(x.astype(np.float32))
    cells, genes = names("cell", 7), names("gene", 5)
    with h5py.File(path, "w") as f:
        g = f.create_group("X")
        g.attrs["encoding-type"] = "csr_matrix"
        g.attrs["encoding-version"] = "0.1.0"
        g.attrs["shape"] = np.array(x.shape)
        g["data"], g["indices"], g["indptr"] = csr.data, csr.indices, csr.indptr
        obs = f.create_group("obs")
        obs.attrs["encoding-type"] = "dataframe"
        obs.attrs["encoding-version"] = "0.1.0"
        obs.attrs["_index"] = "_index"
        obs.attrs["column-order"] = np.array(["louvain", "n_counts"], dtype=object)
        obs.create_dataset("_index", data=np.array(cells, dtype=object), dtype=VLEN_STR)
        cats = obs.create_group("__categories")
        cats.create_dataset("louvain", data=np.array(["0", "1", "2"], dtype=object), dtype=VLEN_STR)
        codes = obs.create_dataset("louvain", data=np.array([0, 1, 1, 2, 0, 2, 1], dtype=np.int8))
        codes.attrs["categories"] = cats["louvain"].ref
        obs.create_dataset("n_counts", data=x.sum(axis=1).astype(np.float32))
        var = f.create_group("var")
        var.attrs["encoding-type"] = "dataframe"
        var.attrs["encoding-version"] = "0.1.0"
        var.attrs["_index"] = "_index"
        var.attrs["column-order"] = np.array([], dtype=np.float64)
        var.create_dataset("_index", data=np.array(genes, dtype=object), dtype=VLEN_STR)
        f.create_group("uns").create_dataset("note", data="anndata 0.7", dtype=VLEN_STR)
        f.create_group("obsm").create_dataset("X_pca", data=RNG.standard_normal((7, 2)).astype(np.float32))
    write_expected(path, describe_h5ad(path, "anndata-0.7", "raw h5py: 0.7 layout, categorical via object reference"))


def write_legacy_pre07() -> None:
    """Before 0.7: obs/var compound datasets whose first field `index` is the index,
    categories in uns/<col>_categories, X sparse group with h5sparse_* attrs, raw.X/raw.var."""
    path = H5AD / "legacy_pre07.h5ad"
    x = counts(6, 5)
    csr = sp.csr_matrix(x.astype(np.float32))
    raw_x = sp.csr_matrix(np.hstack([x, counts(6, 2)]).astype(np.float32))
    cells, genes = names("cell", 6), names("gene", 5)
    with h5py.File(path, "w") as f:
        g = f.create_group("X")
        g.attrs["h5sparse_format"] = "csr"
        g.attrs["h5sparse_shape"] = np.array(x.shape)
        g["data"], g["indices"], g["indptr"] = csr.data, csr.indices, csr.indptr
        obs_type = np.dtype([("index", "S8"), ("louvain", np.int8), ("n_counts", np.float32)])
        obs = np.zeros(6, dtype=obs_type)
        obs["index"] = [c.encode() for c in cells]
        obs["louvain"] = [0, 1, 0, 1, 1, 0]
        obs["n_counts"] = x.sum(axis=1)
        f.create_dataset("obs", data=obs)
        var_type = np.dtype([("index", "S8"), ("gene_ids", "S10")])
        var = np.array([(n.encode(), f"ENSG{i:05d}".encode()) for i, n in enumerate(genes)], dtype=var_type)
        f.create_dataset("var", data=var)
        raw_var = np.array([(n.encode(), f"ENSG{i:05d}".encode()) for i, n in enumerate(names("gene", 7))],
                           dtype=var_type)
        f.create_dataset("raw.var", data=raw_var)
        rg = f.create_group("raw.X")
        rg.attrs["h5sparse_format"] = "csr"
        rg.attrs["h5sparse_shape"] = np.array(raw_x.shape)
        rg["data"], rg["indices"], rg["indptr"] = raw_x.data, raw_x.indices, raw_x.indptr
        uns = f.create_group("uns")
        uns.create_dataset("louvain_categories", data=np.array([b"0", b"1"]))
    write_expected(path, describe_h5ad(path, "anndata-pre-0.7",
                                       "raw h5py: compound obs/var, uns/<col>_categories, h5sparse attrs, raw.X/raw.var"))


# ---------------------------------------------------------------- h5ad (bad inputs)

def bad(name: str, stage: str, key: str, problem: str, describe_from: Path | None = None) -> None:
    """Sidecar for an input a reader must reject: `stage` is "open", "read" or
    "validate-counts" (the file reads, but the counts check must fail)."""
    exp = {"file": name, "error": {"stage": stage, "key": key, "problem": problem}}
    if describe_from is not None:
        exp["content"] = describe_h5ad(describe_from, "anndata-0.12")
    write_expected(H5AD / name, exp)


def write_bad_fixtures() -> None:
    (H5AD / "bad_not_hdf5.h5ad").write_text("cell,gene,count\nAAAC,CD3E,1\n")
    bad("bad_not_hdf5.h5ad", "open", "", "not an HDF5 file")

    good = (H5AD / "csr_int32.h5ad").read_bytes()
    (H5AD / "bad_truncated.h5ad").write_bytes(good[: len(good) // 2])
    bad("bad_truncated.h5ad", "open", "", "truncated HDF5 file (first half of csr_int32.h5ad)")

    path = H5AD / "bad_unknown_encoding.h5ad"
    basic().write_h5ad(path)
    with h5py.File(path, "r+") as f:
        f["X"].attrs["encoding-type"] = "coo_matrix"
    bad(path.name, "read", "X", "unknown encoding-type 'coo_matrix'")

    path = H5AD / "bad_lzf.h5ad"
    basic(n_obs=8, n_vars=6, fmt="dense", dtype=np.float32).write_h5ad(path)
    with h5py.File(path, "r+") as f:
        x = f["X"][()]
        del f["X"]
        d = f.create_dataset("X", data=x, compression="lzf")
        d.attrs["encoding-type"], d.attrs["encoding-version"] = "array", "0.2.0"
    bad(path.name, "read", "X", "dataset compressed with h5py's lzf filter, which libhdf5 cannot decode")

    path = H5AD / "bad_missing_obs.h5ad"
    basic().write_h5ad(path)
    with h5py.File(path, "r+") as f:
        del f["obs"]
    bad(path.name, "read", "obs", "required group obs is missing")

    path = H5AD / "bad_indptr_length.h5ad"
    basic().write_h5ad(path)
    with h5py.File(path, "r+") as f:
        indptr = f["X/indptr"][()]
        del f["X/indptr"]
        f["X"].create_dataset("indptr", data=indptr[:-2])
    bad(path.name, "read", "X/indptr", "indptr has 7 entries, shape [8, 6] needs 9")

    path = H5AD / "bad_index_out_of_range.h5ad"
    basic().write_h5ad(path)
    with h5py.File(path, "r+") as f:
        indices = f["X/indices"][()]
        indices[3] = 6
        f["X/indices"][...] = indices
    bad(path.name, "read", "X/indices", "column index 6 out of range for 6 columns (entry 3)")

    path = H5AD / "bad_negative_counts.h5ad"
    a = basic()
    a.X.data[4] = -2
    a.write_h5ad(path)
    bad(path.name, "validate-counts", "X/data", "negative count -2 (entry 4)", describe_from=path)

    path = H5AD / "bad_nan_counts.h5ad"
    a = basic(dtype=np.float32)
    a.X.data[1] = np.nan
    a.write_h5ad(path)
    bad(path.name, "validate-counts", "X/data", "NaN count (entry 1)", describe_from=path)


# ---------------------------------------------------------------- 10x

def describe_scanpy(a: ad.AnnData, source: str, notes: str) -> dict:
    """`var_names` as scanpy returns them (read_10x_h5 leaves duplicates; read_10x_mtx makes
    them unique) and `var_names_make_unique`, after `adata.var_names_make_unique()`."""
    out = {"reader": source, "notes": notes, "shape": list(a.shape),
           "obs_names": list(map(str, a.obs_names)), "var_names": list(map(str, a.var_names)),
           "X": describe_matrix(a.X), "obs": describe_frame(a.obs), "var": describe_frame(a.var)}
    a.var_names_make_unique()
    out["var_names_make_unique"] = list(map(str, a.var_names))
    return out


def tenx_features():
    """10 Gene Expression features (one gene name repeated three times, one clashing
    with a made-up `-1` name) followed by 2 Antibody Capture features."""
    gene_names = ["MIR1302-2HG", "TSPAN6", "CD3E", "TSPAN6", "LYZ", "TSPAN6-1", "TSPAN6", "MS4A1", "NKG7", "GNLY"]
    ids = [f"ENSG{i:011d}" for i in range(len(gene_names))] + ["CD3_TotalSeqB", "CD19_TotalSeqB"]
    gene_names += ["CD3", "CD19"]
    types = ["Gene Expression"] * 10 + ["Antibody Capture"] * 2
    return ids, gene_names, types


def tenx_counts(n_features: int, n_cells: int) -> sp.csc_matrix:
    """features × barcodes, CSC (barcode-compressed) as Cell Ranger stores it."""
    m = counts(n_cells, n_features, density=0.35).T
    return sp.csc_matrix(m.astype(np.int32))


def write_10x_h5_v3() -> None:
    path = TENX / "v3_filtered_feature_bc_matrix.h5"
    ids, gene_names, types = tenx_features()
    barcodes = [f"AAACCTGAGAAACC{c}-1" for c in "ACGTACGTAC"[:9]]
    barcodes = [f"{b[:-3]}{i}-1" for i, b in enumerate(barcodes)]
    m = tenx_counts(len(ids), len(barcodes))
    with h5py.File(path, "w") as f:
        f.attrs["filetype"] = "matrix"
        f.attrs["library_ids"] = np.array([b"fixture"])
        f.attrs["chemistry_description"] = "Single Cell 3' v3"
        g = f.create_group("matrix")
        g.create_dataset("barcodes", data=np.array([b.encode() for b in barcodes]))
        g.create_dataset("data", data=m.data.astype(np.int32), compression="gzip")
        g.create_dataset("indices", data=m.indices.astype(np.int64), compression="gzip")
        g.create_dataset("indptr", data=m.indptr.astype(np.int64), compression="gzip")
        g.create_dataset("shape", data=np.array(m.shape, dtype=np.int32))
        feats = g.create_group("features")
        feats.create_dataset("id", data=np.array([i.encode() for i in ids]))
        feats.create_dataset("name", data=np.array([n.encode() for n in gene_names]))
        feats.create_dataset("feature_type", data=np.array([t.encode() for t in types]))
        feats.create_dataset("genome", data=np.array([b"GRCh38"] * 10 + [b""] * 2))
        feats.create_dataset("_all_tag_keys", data=np.array([b"genome"]))
    exp = {"file": path.name, "layout": "cellranger-v3-h5",
           "gex_only": describe_scanpy(sc.read_10x_h5(path), "scanpy.read_10x_h5(path)",
                                       "default gex_only=True; var names made unique"),
           "all_features": describe_scanpy(sc.read_10x_h5(path, gex_only=False),
                                           "scanpy.read_10x_h5(path, gex_only=False)", "")}
    write_expected(path, exp)


def write_10x_h5_legacy() -> None:
    path = TENX / "v2_legacy_matrix.h5"
    ids, gene_names, _ = tenx_features()
    ids, gene_names = ids[:10], gene_names[:10]
    barcodes = [f"AAACATACAACCAC{i}-1" for i in range(7)]
    m = tenx_counts(len(ids), len(barcodes))
    with h5py.File(path, "w") as f:
        g = f.create_group("GRCh38")
        g.create_dataset("barcodes", data=np.array([b.encode() for b in barcodes]))
        g.create_dataset("data", data=m.data.astype(np.int32))
        g.create_dataset("indices", data=m.indices.astype(np.int64))
        g.create_dataset("indptr", data=m.indptr.astype(np.int64))
        g.create_dataset("shape", data=np.array(m.shape, dtype=np.int32))
        g.create_dataset("genes", data=np.array([i.encode() for i in ids]))
        g.create_dataset("gene_names", data=np.array([n.encode() for n in gene_names]))
    exp = {"file": path.name, "layout": "cellranger-v2-h5", "genome": "GRCh38",
           "gex_only": describe_scanpy(sc.read_10x_h5(path), "scanpy.read_10x_h5(path)", "single genome GRCh38")}
    write_expected(path, exp)


def mtx_text(m: sp.coo_matrix, header: str = "%%MatrixMarket matrix coordinate integer general") -> str:
    lines = [header, "%metadata_json: {\"software_version\": \"fixture\"}", f"{m.shape[0]} {m.shape[1]} {m.nnz}"]
    lines += [f"{r + 1} {c + 1} {v}" for r, c, v in zip(m.row, m.col, m.data)]
    return "\n".join(lines) + "\n"


def write_text(path: Path, text: str, gz: bool) -> None:
    if gz:
        with gzip.GzipFile(path, "wb", mtime=0) as f:  # mtime 0: byte-stable output
            f.write(text.encode())
    else:
        path.write_text(text)


def write_mtx_folder(folder: Path, *, v3: bool, n_cells: int, mutate=None) -> tuple:
    ids, gene_names, types = tenx_features()
    if not v3:
        ids, gene_names, types = ids[:10], gene_names[:10], types[:10]
    barcodes = [f"TTTGTCATCTGAAC{i}-1" for i in range(n_cells)]
    m = tenx_counts(len(ids), n_cells).tocoo()
    order = np.lexsort((m.row, m.col))  # Cell Ranger writes sorted by barcode, then feature
    m = sp.coo_matrix((m.data[order], (m.row[order], m.col[order])), shape=m.shape)
    files = {
        "matrix.mtx": mtx_text(m),
        "barcodes.tsv": "\n".join(barcodes) + "\n",
        ("features.tsv" if v3 else "genes.tsv"):
            "".join(f"{i}\t{n}\t{t}\n" if v3 else f"{i}\t{n}\n" for i, n, t in zip(ids, gene_names, types)),
    }
    if mutate is not None:
        files = mutate(files)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for name, text in files.items():
        if text is None:
            continue
        write_text(folder / (name + (".gz" if v3 else "")), text, gz=v3)
    return ids, gene_names


def write_10x_mtx() -> None:
    v3 = TENX / "v3_mtx"
    write_mtx_folder(v3, v3=True, n_cells=8)
    write_expected(v3, {"folder": v3.name, "layout": "cellranger-v3-mtx",
                        "gex_only": describe_scanpy(sc.read_10x_mtx(v3), "scanpy.read_10x_mtx(path)", ""),
                        "all_features": describe_scanpy(sc.read_10x_mtx(v3, gex_only=False),
                                                        "scanpy.read_10x_mtx(path, gex_only=False)", "")})
    v2 = TENX / "v2_mtx"
    write_mtx_folder(v2, v3=False, n_cells=6)
    write_expected(v2, {"folder": v2.name, "layout": "cellranger-v2-mtx",
                        "gex_only": describe_scanpy(sc.read_10x_mtx(v2), "scanpy.read_10x_mtx(path)", "")})

    def replace_line(name, index, new):
        def mutate(files):
            lines = files[name].split("\n")
            lines[index] = new
            files[name] = "\n".join(lines)
            return files
        return mutate

    bad_cases = [
        ("bad_mtx_header", replace_line("matrix.mtx", 0, "%%MatrixMarket matrix array real general"),
         "matrix.mtx", "unsupported MatrixMarket header (array format)"),
        ("bad_mtx_out_of_range", replace_line("matrix.mtx", 3, "11 1 5"),
         "matrix.mtx", "row index 11 out of range 1...10 (genes)"),
        ("bad_mtx_count_mismatch", lambda fs: {**fs, "matrix.mtx": fs["matrix.mtx"].rstrip("\n").rsplit("\n", 1)[0] + "\n"},
         "matrix.mtx", "header announces more entries than the file holds"),
        ("bad_mtx_missing_barcodes", lambda fs: {**fs, "barcodes.tsv": None},
         "barcodes.tsv", "barcodes.tsv is missing"),
        ("bad_mtx_barcode_count", replace_line("barcodes.tsv", 0, ""),
         "barcodes.tsv", "barcodes.tsv has a different number of lines than the matrix has columns"),
    ]
    for name, mutate, key, problem in bad_cases:
        folder = TENX / name
        write_mtx_folder(folder, v3=False, n_cells=4, mutate=mutate)
        write_expected(folder, {"folder": name, "error": {"stage": "read", "key": key, "problem": problem}})


# ---------------------------------------------------------------- main

def main() -> None:
    for d in (H5AD, TENX):
        if d.exists():
            shutil.rmtree(d)
        d.mkdir(parents=True)
    write_anndata_fixtures()
    write_fixed_length_strings()
    write_legacy_v07()
    write_legacy_pre07()
    write_bad_fixtures()
    write_10x_h5_v3()
    write_10x_h5_legacy()
    write_10x_mtx()
    total = sum(p.stat().st_size for p in ROOT.rglob("*") if p.is_file())
    print(f"wrote fixtures: {total / 1024:.0f} KB total")


if __name__ == "__main__":
    main()
