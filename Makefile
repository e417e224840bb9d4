# Sitewatch developer entry points. Every target first runs scripts/bootstrap.sh, which
# installs missing Debian packages (as root) or says which are missing.
# `make` alone prints this list. JOBS (default 2) sets build parallelism.

JOBS ?= 2
BUILD_TYPE ?= RelWithDebInfo
SOURCE_DIRS := $(wildcard src tests firmware bench sim)

.DEFAULT_GOAL := help
# The targets share build directories; never run them concurrently.
.NOTPARALLEL:
.PHONY: help bootstrap configure build test run bench fuzz format format-check lint clean

help:
	@echo "make build         configure and build build/ ($(BUILD_TYPE), -j$(JOBS))"
	@echo "make test          everything CI runs: unit tests, ASan/UBSan tests, format,"
	@echo "                   layer rule, clang-tidy, brief fuzz run, firmware size report"
	@echo "make run           build and run the server on ./sitewatch-data, port \$${PORT:-8080}"
	@echo "make bench         build, then run every bench/*_bench.sh (results in build/bench/)"
	@echo "make fuzz          longer fuzz run, FUZZ_SECONDS per target (default 300)"
	@echo "make format        clang-format -i every C/C++ source"
	@echo "make format-check  list the sources clang-format would change"
	@echo "make lint          clang-tidy over src/ (a few minutes; also run by make test)"
	@echo "make clean         remove build/, build-asan/, build-fuzz/"
	@echo "make bootstrap     install the Debian packages the build needs"

bootstrap:
	scripts/bootstrap.sh

configure: bootstrap
	cmake -G Ninja -S . -B build -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: configure
	ninja -C build -j$(JOBS)

test: bootstrap
	JOBS=$(JOBS) scripts/test.sh

run: bootstrap
	JOBS=$(JOBS) scripts/run.sh

bench: build
	@set -e; for b in bench/*_bench.sh; do \
	  [ -f "$$b" ] || continue; \
	  echo "==== $$b ===="; bash "$$b"; \
	done

fuzz: bootstrap
	JOBS=$(JOBS) scripts/fuzz.sh

format: bootstrap
	scripts/check_format.sh --fix

format-check: bootstrap
	scripts/check_format.sh

# clang-tidy on every src/ production translation unit (not *_test.cpp) in
# compile_commands.json, JOBS at a time.
# Uses .clang-tidy when present (clang-tidy's defaults otherwise); warnings fail the target.
lint: configure
	@files=$$(sed -n 's/^ *"file": "\(.*\)",\{0,1\}$$/\1/p' build/compile_commands.json \
	  | grep "^$(CURDIR)/src/" | grep -v '_test\.cpp$$' | sort -u); \
	if [ -z "$$files" ]; then echo "lint: no src/ files in build/compile_commands.json"; exit 1; fi; \
	echo "lint: clang-tidy on $$(echo "$$files" | wc -l) files"; \
	echo "$$files" | xargs -P $(JOBS) -n 1 clang-tidy -p build --quiet --warnings-as-errors='*'

clean:
	rm -rf build build-asan build-fuzz
