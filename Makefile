# tfinterop: one SavedModel, the same answers in Python, Go, Java and C++.
# `make export` is the main job; `make test` runs every test. See README.md.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
TFINTEROP := $(VENV)/bin/tfinterop
BUILD := build
STAMP := $(VENV)/.installed

export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: help venv export protos serve go java cpp clients interop-test test test-python lint clean

help:
	@sed -n 's/^## //p' README.md | head -40

# The virtualenv: the pinned, fully resolved set, then the package itself.
$(STAMP): python/requirements.lock python/pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r python/requirements.lock
	$(PY) -m pip install --quiet --no-deps -e python
	touch $@

venv: $(STAMP)

$(BUILD)/protos/serving.pb: $(STAMP)
	$(TFINTEROP) protos --out $@

protos: $(BUILD)/protos/serving.pb

$(BUILD)/cases/mnist/manifest.json: $(STAMP)
	$(TFINTEROP) export --out $(BUILD) $(EXPORT_FLAGS)

export: $(STAMP)
	$(TFINTEROP) export --out $(BUILD) $(EXPORT_FLAGS)
	$(TFINTEROP) protos --out $(BUILD)/protos/serving.pb

go: protos
	$(MAKE) -C clients/go build

java: protos
	$(MAKE) -C clients/java build

cpp: protos
	$(MAKE) -C clients/cpp build

clients: go java cpp

lint: $(STAMP)
	$(VENV)/bin/ruff check python tests
	$(VENV)/bin/ruff format --check python tests

clean:
	rm -rf $(BUILD)
