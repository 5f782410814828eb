# tfinterop: one SavedModel, the same answers in Python, Go, Java and C++.
# `make export` is the main job; `make test` runs every test. See README.md.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
TFINTEROP := $(VENV)/bin/tfinterop
BUILD := build
STAMP := $(VENV)/.installed

# Quiet TensorFlow in the language test runners too, unless TFINTEROP_VERBOSE=1 asks for it
# (the tfinterop commands and the clients filter TF's start-up lines themselves).
ifneq ($(TFINTEROP_VERBOSE),1)
export TF_CPP_MIN_LOG_LEVEL ?= 2
endif

.PHONY: help deps venv export ops protos serve go java cpp clients interop interop-test test test-python \
	test-go test-java test-cpp test-cli test-byo test-dist test-conformance test-v2 test-v2-peer kserve-venv verify lint dist clean bench-server test-reliability fuzz-short \
	fuzz soak bench report test-report FORCE

help:
	@grep -E '^[|] `make' README.md

# The virtualenv: the pinned, fully resolved set, then the package itself.
$(STAMP): python/requirements.lock python/pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r python/requirements.lock
	$(PY) -m pip install --quiet --no-deps -e python
	touch $@

venv: $(STAMP)

# The Debian packages the clients, fuzzing and the report test need (tools/deps.sh):
# installs only the missing ones, with apt-get as root or sudo, else prints the command.
deps:
	@tools/deps.sh

$(BUILD)/protos/serving.pb: $(STAMP)
	$(TFINTEROP) protos --out $@

protos: $(BUILD)/protos/serving.pb

# The custom_op zoo model's kernel, compiled against the installed TensorFlow (about 1 s,
# plus importing TensorFlow for its flags); export builds it too when it is missing or
# older than its source.
OP_SOURCES := ops/tfi_affine.cc
$(BUILD)/ops/libtfi_ops.so: $(OP_SOURCES) $(STAMP)
	$(TFINTEROP) ops --out $(BUILD)

ops: $(BUILD)/ops/libtfi_ops.so

# Export again only when the package, the op's source, the lock or EXPORT_FLAGS changed
# (make -B export forces it); training inside export is skipped when its own inputs did
# not change.
PY_SOURCES := $(shell find python/tfinterop -type f -not -path '*/__pycache__/*')
EXPORT_STAMP := $(BUILD)/.export.stamp
$(BUILD)/.export-flags: FORCE
	@mkdir -p $(BUILD); echo '$(EXPORT_FLAGS)' | cmp -s - $@ || echo '$(EXPORT_FLAGS)' > $@

$(EXPORT_STAMP): $(STAMP) $(PY_SOURCES) $(OP_SOURCES) $(BUILD)/.export-flags
	$(TFINTEROP) export --out $(BUILD) $(EXPORT_FLAGS)
	touch $@

$(BUILD)/cases/mnist/manifest.json: $(EXPORT_STAMP)

export: $(EXPORT_STAMP) protos

# Serve the exported models: the bundled server, or real TF Serving with SERVER=tfserving.
SERVER ?= bundled
GRPC_PORT ?= 8500
REST_PORT ?= 8501
serve: $(BUILD)/cases/mnist/manifest.json
ifeq ($(SERVER),tfserving)
	tensorflow_model_server --port=$(GRPC_PORT) --rest_api_port=$(REST_PORT) \
		--model_config_file=$(abspath $(BUILD)/models/models.config) \
		--allow_version_labels_for_unavailable_models $(SERVE_FLAGS)
else
	$(TFINTEROP) serve --port=$(GRPC_PORT) --rest_api_port=$(REST_PORT) \
		--model_config_file=$(BUILD)/models/models.config \
		--allow_version_labels_for_unavailable_models $(SERVE_FLAGS)
endif

# Each client's output carries its name, and a silent build says it is still running.
go: deps protos
	@tools/labelled.sh go $(MAKE) --no-print-directory -C clients/go build

# Maven repackages the shaded jar on every call (about a minute): build only when a source changed.
JAVA_SOURCES := $(shell find clients/java/src -type f) clients/java/pom.xml clients/java/Makefile
$(BUILD)/bin/tfinterop-java: $(JAVA_SOURCES) $(BUILD)/protos/serving.pb
	@tools/labelled.sh java $(MAKE) --no-print-directory -C clients/java build

java: deps protos $(BUILD)/bin/tfinterop-java

cpp: deps protos
	@tools/labelled.sh cpp $(MAKE) --no-print-directory -C clients/cpp build

# The three clients build side by side: Maven and the Go toolchain wait on I/O and
# downloads while g++ computes.
clients: deps protos
	@echo "clients: building go, java and cpp in parallel"
	@$(MAKE) --no-print-directory -j3 go java cpp

# Every client in every mode (bundled server on free ports, or TFINTEROP_TARGET),
# then the one judge; writes build/report/interop.{json,md}.
interop: $(BUILD)/cases/mnist/manifest.json
	$(TFINTEROP) interop --out $(BUILD)/results

# The judge runs even when a client could not run (interop exits 3): its rows show as missing.
interop-test: export clients
	$(TFINTEROP) interop --out $(BUILD)/results; run=$$?; \
	$(VENV)/bin/pytest tests/interop -q -p no:cacheprovider; status=$$?; \
		$(TFINTEROP) report --out $(BUILD)/report; [ $$status -ne 0 ] && exit $$status; exit $$run

# build/report/index.html from whatever results, benchmarks and figures exist.
report: $(STAMP)
	$(TFINTEROP) report --out $(BUILD)/report

# The report renders in headless Chromium (screenshot in build/report/screenshot.png).
test-report: deps report
	$(VENV)/bin/pytest tests/report -q -p no:cacheprovider

# ghz, the independent gRPC load generator the benchmarks compare against (Go module proxy).
GHZ_VERSION := v0.93.0
$(BUILD)/tools/ghz:
	GOBIN=$(abspath $(BUILD)/tools) go install github.com/bojand/ghz/cmd/ghz@$(GHZ_VERSION)

# async-profiler, for the Java client's profile in the benchmarks (Maven Central; the bench
# unpacks the agent library for this machine from the jar).
ASYNC_PROFILER_VERSION := 3.0
$(BUILD)/tools/async-profiler-$(ASYNC_PROFILER_VERSION).jar:
	mvn -B -q dependency:copy -Dartifact=tools.profiler:async-profiler:$(ASYNC_PROFILER_VERSION) \
	  -DoutputDirectory=$(abspath $(BUILD)/tools)

# Every client x mode x concurrency on MNIST batch 1 and 32 (about 15 minutes);
# writes build/report/bench.{json,md} and PNG plots, then the HTML report.
bench: $(BUILD)/cases/mnist/manifest.json clients $(BUILD)/tools/ghz \
  $(BUILD)/tools/async-profiler-$(ASYNC_PROFILER_VERSION).jar
	$(TFINTEROP) bench-suite --out $(BUILD)/report
	$(TFINTEROP) report --out $(BUILD)/report

bench-server: $(BUILD)/cases/mnist/manifest.json go
	$(TFINTEROP) bench-server --out $(BUILD)/report

test-python: export
	$(VENV)/bin/pytest tests/python tests/server tests/judge -q -p no:cacheprovider

# TF Serving's own test expectations, black-box against the bundled server (or the server
# named by TFINTEROP_TARGET / TFINTEROP_REST); counts in build/report/conformance.md.
test-conformance: $(STAMP)
	$(VENV)/bin/pytest tests/conformance -q -p no:cacheprovider

# Load, availability, faults, hostile input (server and clients): bounded, with
# figures in build/report/reliability.md. Needs every client built (Go drives load).
test-reliability: clients
	rm -f $(BUILD)/report/reliability.json
	$(VENV)/bin/pytest tests/reliability -q -p no:cacheprovider

# Fuzzing: FUZZ_SECONDS per target (10 in `make test`, 300 in `make fuzz`).
FUZZ_SECONDS ?= 10
fuzz-short: deps $(STAMP) go cpp
	@# New finds go to build/fuzz/<target>; the committed corpus is the read-only seed.
	mkdir -p $(BUILD)/fuzz/rest_json $(BUILD)/fuzz/predict_request
	$(PY) tests/fuzz/fuzz_rest_json.py $(BUILD)/fuzz/rest_json tests/fuzz/corpus/rest_json -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1
	$(PY) tests/fuzz/fuzz_predict_request.py $(BUILD)/fuzz/predict_request tests/fuzz/corpus/predict_request -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1
	$(MAKE) -C clients/go fuzz FUZZ_SECONDS=$(FUZZ_SECONDS)
	$(MAKE) -C clients/cpp fuzz FUZZ_SECONDS=$(FUZZ_SECONDS)

fuzz:
	$(MAKE) fuzz-short FUZZ_SECONDS=300

# The load test at a size for people (minutes): SOAK_REQUESTS batch-1 requests at concurrency 64.
SOAK_REQUESTS ?= 1000000
soak: clients
	TFINTEROP_SOAK_REQUESTS=$(SOAK_REQUESTS) $(VENV)/bin/pytest tests/reliability/test_load.py -q -p no:cacheprovider

# Bring-your-own-model end to end: needs every client built.
test-byo: clients
	$(VENV)/bin/pytest tests/byo -q -p no:cacheprovider

# `make verify MODEL=path/to/saved_model [NAME=name]`
verify: clients
	$(TFINTEROP) verify --saved-model $(MODEL) $(if $(NAME),--name $(NAME))

test-go: go export
	$(MAKE) -C clients/go test

test-java: java export
	$(MAKE) -C clients/java test

test-cpp: cpp export
	$(MAKE) -C clients/cpp test

# The wheel of `make dist` in a fresh virtualenv outside the checkout: clients built on
# first use into a private cache, verify on a zoo model (tests/dist).
test-dist: export
	$(VENV)/bin/pytest tests/dist -q -p no:cacheprovider

# The Open Inference Protocol (v2) on the bundled server: its tensor codec against
# tritonclient's, and tritonclient's HTTP and gRPC clients as independent v2 clients.
test-v2: export
	$(VENV)/bin/pytest tests/v2 -q -p no:cacheprovider --ignore=tests/v2/test_kserve_peer.py

# KServe's own ModelServer (kserve from PyPI) in a virtualenv of its own, since it pins
# protobuf 6.33 and the main venv holds 7.36: the pinned set of tests/v2/peers/kserve.lock,
# downloaded the first time, offline after; TensorFlow comes from the main venv through a
# path entry (a .pth line, whose folder's own .pth files do not run: the editable tfinterop
# stays out). The last step saves, loads and runs a small SavedModel there.
KSERVE_VENV := $(BUILD)/venvs/kserve
KSERVE_STAMP := $(KSERVE_VENV)/.installed
$(KSERVE_STAMP): tests/v2/peers/kserve.lock | $(STAMP)
	rm -rf $(KSERVE_VENV)
	$(PY) -m venv $(KSERVE_VENV)
	$(KSERVE_VENV)/bin/python -m pip install --quiet --no-deps -r tests/v2/peers/kserve.lock
	$(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])' > \
		"$$($(KSERVE_VENV)/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/tfinterop-main-venv.pth"
	TF_CPP_MIN_LOG_LEVEL=3 $(KSERVE_VENV)/bin/python tests/v2/peers/kserve_tf.py --check
	touch $@

kserve-venv: $(KSERVE_STAMP)

# The suite's v2 rows against KServe's ModelServer serving the same SavedModels
# (tests/v2/peers/kserve_tf.py), judged with tests/v2/peers/kserve_expected.txt; the
# matrix goes to build/report/v2-kserve/. The test fails, not skips, without the venv.
test-v2-peer: export kserve-venv go
	TFINTEROP_KSERVE_PEER=required $(VENV)/bin/pytest tests/v2/test_kserve_peer.py -q -p no:cacheprovider

# The four clients against one table of the contract's command line (docs/CONTRACT.md), and
# each client's `info` against the client registry (harness/clients.json).
test-cli: clients export
	$(VENV)/bin/pytest tests/clients -q -p no:cacheprovider

# Everything CI runs (.ci/run), step by step, ending with a table of each step's wall
# time (build/report/test-times.md). Every step runs even when an earlier one failed.
# The steps after `clients` run in two lanes side by side (tools/steps.sh): each lane's
# steps in order, the lanes at once. TEST_STEPS may be overridden with plain names.
TEST_LANES := test-python,test-conformance,test-go,test-java,test-cpp,test-cli,test-v2,test-dist|interop-test,test-byo,test-reliability,fuzz-short,test-v2-peer
TEST_STEPS := deps export lint clients '$(TEST_LANES)' test-report
test:
	@tools/steps.sh $(BUILD)/report/test-times.md $(TEST_STEPS)

# actionlint checks the CI recipe (docs/ci.md); installed with `go install`, pinned.
ACTIONLINT_VERSION := v1.7.12
ACTIONLINT := $(BUILD)/go/bin/actionlint-$(ACTIONLINT_VERSION)
$(ACTIONLINT):
	mkdir -p $(BUILD)/go/actionlint
	GOBIN=$(abspath $(BUILD)/go/actionlint) go install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION)
	install -D -m 755 $(BUILD)/go/actionlint/actionlint $@

# Every language's checks; any failure fails the step (house style: STYLE.md).
lint: deps $(STAMP) protos $(ACTIONLINT)
	$(VENV)/bin/ruff check python tests
	$(VENV)/bin/ruff format --check python tests
	$(VENV)/bin/mypy --config-file python/pyproject.toml python/tfinterop
	@$(MAKE) --no-print-directory -C clients/go lint
	@$(MAKE) --no-print-directory -C clients/cpp lint
	@$(MAKE) --no-print-directory -C clients/java lint
	$(ACTIONLINT) examples/ci/github-actions.yml

# A wheel and an sdist of tfinterop, carrying the clients' sources (tools/dist.sh).
dist: $(STAMP)
	PY=$(PY) tools/dist.sh

clean:
	rm -rf $(BUILD)

FORCE:
