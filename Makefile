# The two commands that matter: `make run` and `make test`. Both install what is missing first.
SHELL := /bin/bash
BUILD_DIR ?= build
FUZZ_BUILD_DIR ?= build-fuzz
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps build test unit-test fuzz bench run format clean

all: build

deps:
	@scripts/install-deps.sh test

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja $(CMAKE_FLAGS)

build: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)

# Everything CI runs: unit and cross-process tests, bounded fuzzing, deploy checks.
test: build
	scripts/test.sh

unit-test: build
	ctest --test-dir $(BUILD_DIR) -L unit -j $(JOBS) --output-on-failure

fuzz: deps
	scripts/fuzz.sh

bench: build
	scripts/bench.sh

run:
	@scripts/run-cluster.sh

format:
	git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR) $(FUZZ_BUILD_DIR)

# The docker compose stack built and run for real on this machine, then torn down (docs/operations.md).
.PHONY: compose-smoke
compose-smoke:
	deploy/compose-smoke.sh
