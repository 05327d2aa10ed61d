#!/usr/bin/env python3
"""Executes the example notebooks on cellvi's outputs and exports each as .ipynb (with outputs) + .html.

usage: python3 notebooks-export/make_notebooks.py [NAME ...]     (default: every src/*.py)

Run by notebooks-export/build.sh after it has run the cellvi commands; the notebooks read the files those
commands wrote under notebooks-export/work/ (WORK overrides) and call the binary in $CELLVI for the few quick
`cellvi evaluate` / `cellvi elbo` runs they make themselves. Each notebook's source is notebooks-export/src/NAME.py in the
"percent" format: a line `# %% [markdown]` starts a markdown cell (its lines are `# `-commented), a line
`# %%` starts a code cell.
PNG outputs are re-encoded as 128-colour palette PNGs to keep the committed files small.
needs: pip install scanpy nbformat nbclient nbconvert ipykernel
"""
import base64, io, os, sys, time
import nbformat
from nbclient import NotebookClient
from nbconvert import HTMLExporter
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))


def read_percent_script(path):
    """Splits a percent-format script into notebook cells."""
    cells, kind, lines = [], None, []

    def flush():
        text = "\n".join(lines).strip("\n")
        if kind == "markdown":
            text = "\n".join(line[2:] if line.startswith("# ") else line.lstrip("#") for line in text.split("\n"))
            cells.append(nbformat.v4.new_markdown_cell(text))
        elif kind == "code" and text:
            cells.append(nbformat.v4.new_code_cell(text))

    with open(path) as f:
        for line in f.read().split("\n"):
            if line.startswith("# %%"):
                flush()
                kind, lines = ("markdown" if "[markdown]" in line else "code"), []
            elif kind is not None:
                lines.append(line)
    flush()
    return cells


def shrink_png(data):
    """Re-encodes a base64 PNG as a 128-colour palette PNG on white (a plot loses nothing visible; ~4x smaller)."""
    image = Image.open(io.BytesIO(base64.b64decode(data))).convert("RGBA")
    flat = Image.new("RGBA", image.size, "white")
    flat.alpha_composite(image)
    palette = flat.convert("RGB").quantize(colors=128, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    out = io.BytesIO()
    palette.save(out, "PNG", optimize=True)
    return base64.b64encode(out.getvalue()).decode()


def build(name):
    nb = nbformat.v4.new_notebook()
    nb.cells = read_percent_script(os.path.join(HERE, "src", name + ".py"))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    start = time.time()
    NotebookClient(nb, timeout=1800, kernel_name="python3", resources={"metadata": {"path": HERE}}).execute()
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if "image/png" in output.get("data", {}):
                output["data"]["image/png"] = shrink_png(output["data"]["image/png"])
    nbformat.write(nb, os.path.join(HERE, name + ".ipynb"))
    html, _ = HTMLExporter(template_name="classic").from_notebook_node(nb)
    with open(os.path.join(HERE, name + ".html"), "w") as f:
        f.write(html)
    print(f"make_notebooks.py: executed {name} in {time.time() - start:.0f} s; wrote notebooks-export/{name}.ipynb "
          f"and .html", file=sys.stderr)


names = sys.argv[1:] or sorted(p[:-3] for p in os.listdir(os.path.join(HERE, "src")) if p.endswith(".py"))
for name in names:
    build(name)
