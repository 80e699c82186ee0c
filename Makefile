# Pictor: `make run` sets up and runs it locally, `make test` runs every test.
SHELL := /bin/bash
PORT ?= 8080

.PHONY: run test deps test-deps build build-debug bench clean

deps:
	@scripts/install-deps.sh

test-deps: deps
	@scripts/install-test-deps.sh

build: deps
	swift build -c release --product pictor

build-debug: deps
	swift build --build-tests

run: build
	PORT=$(PORT) scripts/dev.sh

# All tests are XCTest (the browser tests drive Chromium from them through Playwright); the last
# line is a plain "N passed, N failed" summary.
test: build-debug test-deps
	@mkdir -p var
	set -o pipefail; PICTOR_BIN=$$(swift build --show-bin-path)/pictor swift test --skip-build --disable-swift-testing 2>&1 \
	  | tee var/test.log
	@awk '/Executed [0-9]+ tests?, with [0-9]+ failures?/ { total = $$2; failed = $$5 } \
	  END { if (total == "") exit 1; printf "tests: %d passed, %d failed\n", total - failed, failed }' var/test.log

# Every benchmark in turn; all they print is also kept in var/bench/report.txt.
BENCHMARKS := run generations providers thumbnails templates templates-compare gallery recycling soak fuzz

bench: build
	@mkdir -p var/bench
	set -o pipefail; for b in $(BENCHMARKS); do echo "== bench/$$b.sh"; bench/$$b.sh || exit 1; done 2>&1 \
	  | tee var/bench/report.txt

clean:
	rm -rf .build var .venv
