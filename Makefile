# Inside Autoencoders: `make book` builds the HTML book, `make test` checks everything CI checks.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -ec
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Anything that changes what a notebook computes without changing its code cells: the science part of the library
# (not lib/aebook/book/, the machinery that runs and publishes the book) and the pins.
LIBHASH = $(shell $(PYTHON) lib/aebook/book/libhash.py)
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
# The reference float path (lib/aebook/book/floatpath.py, PATHS["reference"]): ATen unvectorised, oneDNN at SSE4.1,
# MKL's conditional numerical reproducibility, OpenBLAS on its SSE3 kernels and one thread, with every CPU square root
# taken exactly (lib/aebook/exactmath.py), so that every x86-64 CPU computes the same bits (the fingerprints measured
# are in bench/results/2026-12-07-portable/). The committed outputs are made on it from an empty weight cache, and
# the notebook check re-executes on it and compares every figure to 1e-6 relative.
REFERENCE_PATH := ATEN_CPU_CAPABILITY=default ONEDNN_MAX_CPU_ISA=SSE41 MKL_CBWR=COMPATIBLE OPENBLAS_CORETYPE=Prescott \
                  AEBOOK_TRAIN_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
CHECK_FLAGS := -p aebook.book.nbcheck --claims-check \
               --claims-check-out _build/nbcheck/executed -p no:cacheprovider

NOTEBOOKS = $(sort $(wildcard chapters/*/[0-9]*.ipynb))
# The notebook check runs this many notebooks at once, each kernel on one thread: on 2 cores two one-thread kernels
# trained 1.15-2.5x more models per second than one two-thread kernel (one run of bench/threads.py). Thread counts are one more float path the
# claims' tolerances must cover.
CORES := $(shell nproc 2>/dev/null || echo 2)
CHECK_WORKERS ?= $(shell n=$(CORES); echo $$(( n < 2 ? 1 : (n > 4 ? 4 : n) )))

DEVICE_IMAGE_HAS := attrs certifi charset_normalizer click idna packaging psutil pygments python_dateutil pyyaml \
                    requests tqdm typing_extensions urllib3

.PHONY: device-carry help venv data assets chromium book test test-lib test-others test-notebooks render browser-test lab outputs clean
VENDOR := book/_vendor

help:
	@echo "make book   build the book (executes changed notebooks) -> _build/html/index.html"
	@echo "make test   unit tests, every notebook re-executed on another float path with its claims compared, a warning-free render of the committed outputs, and every page in headless Chromium"
	@echo "make lab    open the notebooks in JupyterLab"
	@echo "make outputs  re-execute the notebooks in place (refreshes the committed quick-profile outputs)"

$(STAMP): requirements.txt requirements-test.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements.txt -r requirements-test.txt 2>&1 | { grep -v '^WARNING: Location' || true; }
	$(BIN)/python -m pip install --quiet --no-deps -e . 2>&1 | { grep -v '^WARNING: Location' || true; }
	$(BIN)/python -c "import aebook, torch, myst_nb, nbclient, papermill"
	@touch $@

venv: $(STAMP)

data: $(STAMP)
	$(BIN)/python -m aebook.data fetch mnist

# Scripts the static pages load (require.js, the ipywidgets HTML manager, MathJax): from npm, verified by SHA-256.
assets: $(STAMP)
	$(BIN)/python -m aebook.book.web_assets $(VENDOR)

# The system's Chromium for the browser check (Debian's package; never a downloaded browser).
chromium:
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || { \
	  echo "installing Debian's chromium for the browser check"; \
	  $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get update -qq && \
	  $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get install -y -qq chromium; }

# The execution cache only sees code cells: drop it (and the doctrees that would skip re-reading) when the
# library or the pinned requirements change.
_build/.libhash-$(LIBHASH):
	@mkdir -p _build
	@if ls _build/.libhash-* >/dev/null 2>&1; then \
	  echo "lib/ or requirements changed: clearing the execution cache"; \
	  rm -rf _build/.jupyter_cache _build/.doctrees _build/.libhash-*; fi
	@touch $@

# A committed notebook whose code and library hash match what produced its outputs (its stamp) goes into the
# execution cache as it is, so a fresh clone renders at once; only changed notebooks execute.
book: $(STAMP) data assets _build/.libhash-$(LIBHASH)
	$(BIN)/python -m aebook.book.outputs seed _build/.jupyter_cache $(NOTEBOOKS)
	$(BIN)/jupyter-book build . --keep-going
	@echo "The book: $(abspath _build/html/index.html)"

# The unit tests, LIB_WORKERS at once, one thread each (7.1 min against 9.7 one after another on 2 cores).
LIB_WORKERS ?= $(CHECK_WORKERS)
test-lib: $(STAMP) data
	env AEBOOK_TRAIN_THREADS=1 OMP_NUM_THREADS=1 $(BIN)/python -m pytest tests/ -p no:cacheprovider -n $(LIB_WORKERS)

# Re-execute every chapter notebook on the reference float path, with an empty weight cache of its own, and compare its
# claims with the committed ones. When this machine's fingerprint of the path (five short trainings, one per model
# family) equals the one committed with the outputs, the check asks for the same verdicts and every figure within 1e-6
# relative; on a CPU that computes other bits even on this path, it says so and compares within each claim's tolerance.
test-notebooks: $(STAMP) data
	@echo "notebook check: the reference float path ($(REFERENCE_PATH)), $(CHECK_WORKERS) notebooks at once"
	rm -rf _build/nbcheck/weights
	@if env $(REFERENCE_PATH) $(BIN)/python -m aebook.book.floatpath verify; then mode=--claims-check-exact; \
	  else mode=; echo "notebook check: comparing with the ranges of the recorded runs instead of exactly"; fi; \
	env $(REFERENCE_PATH) AEBOOK_DEVICE=cpu AEBOOK_ANALYSIS_WORKERS=1 AEBOOK_CACHE_DIR=$(CURDIR)/_build/nbcheck/weights \
	  $(BIN)/python -m pytest $(CHECK_FLAGS) $$mode -n $(CHECK_WORKERS) --durations=0 chapters/

# Render the committed outputs without executing anything; any Sphinx warning fails.
render: $(STAMP) assets
	@rm -rf _build/render/_build && mkdir -p _build/render  # no stale page from an earlier build is checked
	$(BIN)/python -c "import yaml; c = yaml.safe_load(open('_config.yml')); c['execute']['execute_notebooks'] = 'off'; yaml.safe_dump(c, open('_build/render/_config.yml', 'w'), sort_keys=False)"
	$(BIN)/jupyter-book build . --config _build/render/_config.yml --path-output _build/render -W --keep-going --all

# Every page of the rendered book in headless Chromium: console errors, broken images, missing figures or claims
# tables, frozen animations, error outputs. Screenshots land in _build/screens/.
browser-test: render chromium
	$(BIN)/python -m aebook.book.bookcheck _build/render/_build/html --screens _build/screens

# Two lanes at once (their output interleaves; each ends with its own summary): the notebook check (CHECK_WORKERS
# notebooks) beside the unit tests (one worker), the render and the browser check, which keep a core busy only part
# of the time; one after the other they left a core idle for about 3 minutes of a 31-minute run on 2 cores. The page
# scripts and Chromium (a system package, installed on first use) are fetched in the second lane, beside the notebook
# check, since only the render and the browser check need them.
test: $(STAMP) data
	$(MAKE) --no-print-directory -j2 test-notebooks test-others
	@echo "make test: all checks passed"

test-others: $(STAMP) data assets chromium
	$(MAKE) --no-print-directory test-lib LIB_WORKERS=1
	$(MAKE) --no-print-directory browser-test

lab: $(STAMP) data
	$(BIN)/jupyter lab $(ROOT_FLAG) --notebook-dir=.

# On the reference float path, from an empty weight cache (a warm one could carry weights trained on another path or
# by older code), CHECK_WORKERS notebooks at once; each notebook is stamped with what produced it. The path is a CPU
# path: here and in the check AEBOOK_DEVICE=cpu, so that a machine with a GPU makes and checks the same computation.
outputs: $(STAMP) data
	rm -rf _build/outputs-weights
	env $(REFERENCE_PATH) $(BIN)/python -m aebook.book.floatpath fingerprint --path reference \
	  --out lib/aebook/book/reference-fingerprint.json
	printf '%s\n' $(NOTEBOOKS) | env $(REFERENCE_PATH) AEBOOK_DEVICE=cpu AEBOOK_CACHE_DIR=$(CURDIR)/_build/outputs-weights \
	  xargs -P $(CHECK_WORKERS) -n 1 $(BIN)/python -m aebook.book.outputs execute

# What a lent GPU machine needs carried (both git-ignored): the notebook stack as Python 3.12 wheels in .whl/ (less
# what the machine's image already has) and MNIST gzipped in .carry/mnist/. Then, through the device tool:
#   run("python3 device/slice.py S1 --budget 480 --out $$OUT", carry=[".whl", ".carry"])
device-carry: data
	$(BIN)/python -m pip download -q --only-binary=:all: --python-version 3.12 --implementation cp \
	  --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d .whl \
	  papermill==2.7.0 ipykernel==7.4.0 ipywidgets==8.1.9
	cd .whl && for p in $(DEVICE_IMAGE_HAS); do rm -f $$p-*.whl; done
	mkdir -p .carry/mnist && for f in data/mnist/*-ubyte; do gzip -c $$f > .carry/mnist/$$(basename $$f).gz; done

clean:
	rm -rf _build runs $(VENDOR)
