# groklab — one-command set-up, demo, tests, lint and benchmarks.
#
#   make demo    create .venv (Python 3.11), install groklab, reproduce every figure (quick
#                variants) and write the HTML report
#   make test    create/update the same .venv with the dev extras and run the full test suite
#   make lint    ruff
#   make bench   benchmarks (installs the optional `bench` extra: PyTorch CPU build)
#
# Needs only Python 3.11 (python3.11, or python3 if that is 3.11; override with PYTHON=...)
# and access to PyPI. Installs are redone only when pyproject.toml changes (stamp files).

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null)
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
OUT ?= results/figures
PYTEST_ARGS ?=

.PHONY: demo test lint bench clean help

help:
	@sed -n '3,8p' Makefile | sed 's/^# \{0,1\}//'

$(PY):
	@if [ -z "$(PYTHON)" ]; then echo "No python3.11 or python3 found; install Python 3.11." >&2; exit 1; fi
	@ver=$$("$(PYTHON)" -c 'import sys; print("%d.%d" % sys.version_info[:2])'); \
	if [ "$$ver" != "3.11" ]; then \
		echo "groklab needs Python 3.11, but $(PYTHON) is $$ver; run make PYTHON=/path/to/python3.11" >&2; \
		exit 1; \
	fi
	"$(PYTHON)" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.stamp-base: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	@touch $@

$(VENV)/.stamp-dev: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

$(VENV)/.stamp-bench: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	@touch $@

demo: $(VENV)/.stamp-base
	@rc=0; \
	$(BIN)/groklab reproduce all --quick --out $(OUT) || rc=$$?; \
	$(BIN)/groklab report --out $(OUT) || rc=$$?; \
	echo; \
	echo "Figures (PNG, PDF, data, claims): $(OUT)/"; \
	echo "HTML report:                      $(OUT)/report.html"; \
	if [ $$rc -eq 1 ]; then \
		echo "Some paper claims did not reproduce: these are findings, listed as FAIL above"; \
		echo "and in the report (each is also a strict xfail test with its numbers)."; \
		rc=0; \
	fi; \
	exit $$rc

# Two xdist workers fill both cores, so OpenBLAS's own threads only oversubscribe them (and
# spin while waiting): one BLAS thread per worker ran the BLAS-heavy test files 2x faster.
test: $(VENV)/.stamp-dev
	OPENBLAS_NUM_THREADS=1 $(PY) -m pytest -n 2 --dist worksteal $(PYTEST_ARGS)

lint: $(VENV)/.stamp-dev
	$(BIN)/ruff check src tests benchmarks

bench: $(VENV)/.stamp-bench
	@set -e; for f in $(sort $(wildcard benchmarks/*.py)); do \
		echo "== $$f"; $(PY) $$f; \
	done

clean:
	rm -rf $(VENV) results .pytest_cache .ruff_cache .hypothesis
