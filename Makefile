# cellvi — two commands do all setup on a fresh Debian machine:
#   make demo   installs what is missing, builds in release and trains on a bundled dataset
#   make test   installs what is missing and runs the test suite
SHELL := /bin/bash
DEMO_DATA := datasets/pbmc10x_3tech_savercat/pbmc10x_3tech_savercat.h5ad
DEMO_OUT := demo-output
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test system-deps python-deps build release bench clean

## System packages: libhdf5-dev, libopenblas-dev (pkg-config names hdf5, openblas).
system-deps:
	@if ! pkg-config --exists hdf5 openblas 2>/dev/null; then \
		echo "cellvi: installing libhdf5-dev libopenblas-dev" >&2; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq libhdf5-dev libopenblas-dev pkg-config zlib1g-dev >/dev/null; \
	fi

## Python packages used only by the interoperability tests (anndata reads our output).
python-deps:
	@python3 -c "import anndata, h5py, scanpy" 2>/dev/null || python3 -m pip install -q anndata h5py scanpy

release: system-deps
	swift build -c release --product cellvi

## The main job: scVI on the bundled PBMC dataset (3 technologies as batches), as scvi-tools' benchmark settings.
demo: release
	.build/release/cellvi inspect $(DEMO_DATA)
	.build/release/cellvi train $(DEMO_DATA) --batch-key batch --labels-key cell_type --likelihood nb --epochs 100 --seed 0 -o $(DEMO_OUT)

test: system-deps python-deps
	swift build --build-tests
	swift test --skip-build

bench: release
	bash Benchmarks/run.sh

clean:
	rm -rf .build $(DEMO_OUT)
