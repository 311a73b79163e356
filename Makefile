PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint typecheck docs bench bench-quick clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/neurosim run protocols/cuba.yaml -o results/cuba
	@echo "Results: results/cuba/results.h5   plots: results/cuba/*.png"

# Two test workers on two cores: one BLAS thread each, so they do not oversubscribe the machine.
test: $(STAMP)
	OPENBLAS_NUM_THREADS=1 $(BIN)/python -m pytest -n 2 --dist loadfile -q

# The edit loop: everything but the tests marked slow (Brian2/NEST comparisons, notebooks, the CLI end to
# end, Dask sweeps, anything over ~5 s). Two workers on 2 cores (2026-12-04, AMD EPYC): 27 s with the
# kernel cache warm; 119 s with it cold (an edit to a core module recompiles its Numba kernels and the
# loops that call them). Files go whole to a worker (loadfile), so module-scoped fixtures build once.
test-fast: $(STAMP)
	OPENBLAS_NUM_THREADS=1 $(BIN)/python -m pytest -m "not slow" -n 2 --dist loadfile -q

# ruff with the rule set in pyproject.toml ([tool.ruff.lint]) over the package, tests and benchmarks.
lint: $(STAMP)
	$(BIN)/ruff check neurosim tests benchmarks

# mypy on neurosim/core and neurosim/protocol ([tool.mypy] in pyproject.toml).
typecheck: $(STAMP)
	$(BIN)/python -m mypy

# API reference and pages (mkdocs + mkdocstrings); strict: a broken reference or link fails the build.
docs: $(STAMP)
	$(BIN)/mkdocs build --strict --quiet

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run --set standard

bench-quick: $(STAMP)
	$(BIN)/python -m benchmarks.run --set quick

clean:
	rm -rf $(VENV) results site
