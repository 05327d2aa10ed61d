#!/usr/bin/env python3
"""Checks that anndata reads an .h5ad written by cellvi, field by field.

Usage:  python3 -W error check_anndata_reads.py FILE.h5ad EXPECTED.json

EXPECTED.json is written by the Swift test (InteropTests) beside the file. Schema:
  shape: [n_obs, n_vars]
  obs, var, raw.var: {"index_name": str|null, "index": [str], "columns": [column]}
    column: {"name", "kind": float|int|bool|string|nullable-int|nullable-bool|nullable-string|categorical,
             "values": [...] (null = missing; floats may be "NaN"/"Infinity"/"-Infinity"),
             "categories": [str], "ordered": bool   (categorical only)}
  X, layers.<k>, obsp.<k>: {"format": "csr", "dense": [[float]]}   (X may be null)
  obsm.<k>: {"dense": [[float]]}
  raw: {"X": matrix, "var": frame} | null
  uns: {"a/b": {"kind": string|float|int|bool|strings|floats, "value": ...}}   (a/b = nested dict)
Besides what anndata returns, the on-disk layout is checked with h5py against what anndata
0.12 itself writes (encodings, dtypes, empty groups). Every mismatch is printed; exit 1 if any.
"""

import json
from importlib import metadata
import math
import sys
import warnings

warnings.simplefilter("error")  # a warning while reading is a failure, even without -W error

import anndata as ad  # noqa: E402
import h5py  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import scipy.sparse as sp  # noqa: E402

failures: list[str] = []


def fail(where: str, message: str) -> None:
    failures.append(f"{where}: {message}")


def number(value):
    """JSON number or the strings "NaN" / "Infinity" / "-Infinity" as a float."""
    return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}.get(value, value)


def same_float(a, b) -> bool:
    a, b = float(a), float(number(b))
    return (math.isnan(a) and math.isnan(b)) or a == b


def check_equal(where: str, found, expected) -> None:
    if list(found) != list(expected):
        fail(where, f"expected {list(expected)!r}, found {list(found)!r}")


def check_dense(where: str, found, expected: list) -> None:
    found = found.toarray() if sp.issparse(found) else np.asarray(found)
    want = np.array(expected, dtype=np.float64)
    if want.size == 0 and found.size == 0:
        want = want.reshape(found.shape)
    if found.shape != want.shape:
        fail(where, f"shape {found.shape}, expected {want.shape}")
    elif not np.array_equal(found.astype(np.float64), want):
        fail(where, f"values differ: max |diff| = {np.max(np.abs(found - want))}")


def check_matrix(where: str, found, expected: dict) -> None:
    if expected.get("format") == "csr":
        if not (sp.issparse(found) and found.format == "csr"):
            fail(where, f"expected a CSR sparse matrix, found {type(found).__name__}")
    if found.dtype != np.float32:
        fail(where, f"dtype {found.dtype}, expected float32")
    check_dense(where, found, expected["dense"])


def check_column(where: str, series: pd.Series, column: dict) -> None:
    kind, values = column["kind"], column["values"]
    dtype = series.dtype
    if kind == "categorical":
        if not isinstance(dtype, pd.CategoricalDtype):
            return fail(where, f"dtype {dtype}, expected category")
        check_equal(f"{where} categories", series.cat.categories, column["categories"])
        if bool(series.cat.ordered) != column["ordered"]:
            fail(where, f"ordered = {series.cat.ordered}, expected {column['ordered']}")
        found = [None if pd.isna(v) else v for v in series]
        check_equal(where, found, values)
    elif kind == "float":
        if dtype != np.float64:
            fail(where, f"dtype {dtype}, expected float64")
        if len(series) != len(values) or not all(same_float(a, b) for a, b in zip(series, values)):
            fail(where, f"expected {values!r}, found {list(series)!r}")
    elif kind == "int":
        if dtype != np.int64:
            fail(where, f"dtype {dtype}, expected int64")
        check_equal(where, [int(v) for v in series], values)
    elif kind == "bool":
        if dtype != np.bool_:
            fail(where, f"dtype {dtype}, expected bool")
        check_equal(where, [bool(v) for v in series], values)
    elif kind == "string":
        if dtype != object and not isinstance(dtype, pd.StringDtype):
            fail(where, f"dtype {dtype}, expected strings")
        check_equal(where, [str(v) for v in series], values)
    elif kind in ("nullable-int", "nullable-bool", "nullable-string"):
        wanted = {"nullable-int": pd.Int64Dtype(), "nullable-bool": pd.BooleanDtype()}.get(kind)
        if wanted is not None and dtype != wanted:
            fail(where, f"dtype {dtype}, expected {wanted}")
        if kind == "nullable-string" and not isinstance(dtype, pd.StringDtype):
            fail(where, f"dtype {dtype}, expected a pandas string dtype")
        found = [None if pd.isna(v) else (int(v) if kind == "nullable-int" else bool(v) if kind == "nullable-bool" else str(v))
                 for v in series]
        check_equal(where, found, values)
    else:
        fail(where, f"unknown kind {kind!r} in the expected JSON")


def check_frame(where: str, frame: pd.DataFrame, expected: dict) -> None:
    check_equal(f"{where} index", [str(v) for v in frame.index], expected["index"])
    if frame.index.name != expected["index_name"]:
        fail(f"{where} index name", f"expected {expected['index_name']!r}, found {frame.index.name!r}")
    check_equal(f"{where} column order", frame.columns, [c["name"] for c in expected["columns"]])
    for column in expected["columns"]:
        if column["name"] in frame.columns:
            check_column(f"{where}[{column['name']}]", frame[column["name"]], column)


def check_uns(uns: dict, expected: dict) -> None:
    flattened = {}

    def flatten(prefix: str, mapping: dict) -> None:
        for key, value in mapping.items():
            if isinstance(value, dict):
                flatten(f"{prefix}{key}/", value)
            else:
                flattened[f"{prefix}{key}"] = value

    flatten("", uns)
    check_equal("uns keys", sorted(flattened), sorted(expected))
    for key, spec in expected.items():
        if key not in flattened:
            continue
        value, kind, want, where = flattened[key], spec["kind"], spec["value"], f"uns/{key}"
        if kind == "string":
            ok = isinstance(value, str) and value == want
        elif kind == "bool":
            ok = isinstance(value, (bool, np.bool_)) and bool(value) == want
        elif kind == "int":
            ok = isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)) and int(value) == want
        elif kind == "float":
            ok = isinstance(value, (float, np.floating)) and same_float(value, want)
        elif kind == "strings":
            ok = isinstance(value, np.ndarray) and [str(v) for v in value] == want
        elif kind == "floats":
            ok = (isinstance(value, np.ndarray) and value.dtype == np.float64 and len(value) == len(want)
                  and all(same_float(a, b) for a, b in zip(value, want)))
        else:
            ok = False
        if not ok:
            fail(where, f"expected {kind} {want!r}, found {type(value).__name__} {value!r}")


def check_layout(path: str, expected: dict) -> None:
    """The on-disk details anndata 0.12 itself would write."""
    def encoding(obj):
        return (obj.attrs.get("encoding-type"), obj.attrs.get("encoding-version"))

    with h5py.File(path, "r") as f:
        if encoding(f) != ("anndata", "0.1.0"):
            fail("/ attrs", f"encoding {encoding(f)}")
        for name in ("obsm", "varm", "obsp", "varp", "layers", "uns"):
            if name not in f or encoding(f[name]) != ("dict", "0.1.0"):
                fail(name, "missing or not a dict 0.1.0 group")
        for name in ("obs", "var") + (("raw/var",) if expected.get("raw") else ()):
            group = f[name]
            if encoding(group) != ("dataframe", "0.2.0"):
                fail(name, f"encoding {encoding(group)}")
            order = group.attrs["column-order"]
            if len(order) == 0 and order.dtype != np.float64:
                fail(f"{name} column-order", f"an empty frame should store an empty float64 array, found {order.dtype}")
            for column in group.attrs["column-order"]:
                element = group[column]
                if encoding(element)[0] == "categorical":
                    categories = list(element["categories"].asstr()[()])
                    pandas_dtype = pd.Categorical.from_codes([], categories=categories).codes.dtype
                    if element["codes"].dtype != pandas_dtype:
                        fail(f"{name}/{column}/codes", f"dtype {element['codes'].dtype}, pandas uses {pandas_dtype}")
        if expected.get("raw") and encoding(f["raw"]) != ("raw", "0.1.0"):
            fail("raw", f"encoding {encoding(f['raw'])}")
        sparse = ["X"] if expected.get("X") else []
        sparse += [f"layers/{k}" for k in expected["layers"]] + [f"obsp/{k}" for k in expected["obsp"]]
        for name in sparse:
            group = f[name]
            if encoding(group) != ("csr_matrix", "0.1.0"):
                fail(name, f"encoding {encoding(group)}")
            if group.attrs["shape"].dtype != np.int64:
                fail(f"{name} shape", f"dtype {group.attrs['shape'].dtype}, expected int64")
            for part, dtype in (("data", np.float32), ("indices", np.int32), ("indptr", np.int32)):
                if group[part].dtype != dtype:
                    fail(f"{name}/{part}", f"dtype {group[part].dtype}, expected {np.dtype(dtype)}")


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__.splitlines()[2].strip(), file=sys.stderr)
        return 2
    path, expected_path = sys.argv[1], sys.argv[2]
    with open(expected_path) as handle:
        expected = json.load(handle)
    adata = ad.read_h5ad(path)

    if list(adata.shape) != expected["shape"]:
        fail("shape", f"expected {expected['shape']}, found {list(adata.shape)}")
    check_frame("obs", adata.obs, expected["obs"])
    check_frame("var", adata.var, expected["var"])
    if expected["X"] is None:
        if adata.X is not None:
            fail("X", "expected no X")
    else:
        check_matrix("X", adata.X, expected["X"])
    for group in ("layers", "obsp"):
        check_equal(f"{group} keys", sorted(getattr(adata, group).keys()), sorted(expected[group]))
        for key, matrix in expected[group].items():
            if key in getattr(adata, group):
                check_matrix(f"{group}/{key}", getattr(adata, group)[key], matrix)
    check_equal("obsm keys", sorted(adata.obsm.keys()), sorted(expected["obsm"]))
    for key, matrix in expected["obsm"].items():
        if key in adata.obsm:
            found = adata.obsm[key]
            if not isinstance(found, np.ndarray) or found.dtype != np.float32:
                fail(f"obsm/{key}", f"expected a float32 ndarray, found {type(found).__name__} {getattr(found, 'dtype', '')}")
            check_dense(f"obsm/{key}", found, matrix["dense"])
    if len(adata.varm) or len(adata.varp):
        fail("varm/varp", "expected empty")
    if expected["raw"] is None:
        if adata.raw is not None:
            fail("raw", "expected no raw")
    elif adata.raw is None:
        fail("raw", "missing")
    else:
        check_matrix("raw/X", adata.raw.X, expected["raw"]["X"])
        check_frame("raw/var", adata.raw.var, expected["raw"]["var"])
    check_uns(adata.uns, expected["uns"])
    check_layout(path, expected)

    for line in failures:
        print(f"MISMATCH {line}", file=sys.stderr)
    print(f"{path}: {'OK' if not failures else f'{len(failures)} mismatches'} "
          f"(anndata {metadata.version('anndata')})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
