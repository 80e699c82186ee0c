# Pictor: `make run` sets up and runs it locally, `make test` runs every test.
SHELL := /bin/bash
PORT ?= 8080

.PHONY: run test deps build build-debug bench clean

deps:
	@scripts/install-deps.sh

build: deps
	swift build -c release --product pictor

build-debug: deps
	swift build --build-tests

run: build
	PORT=$(PORT) scripts/dev.sh

test: build-debug
	PICTOR_BIN=$$(swift build --show-bin-path)/pictor swift test --skip-build

bench: build
	bench/run.sh
	bench/generations.sh
	bench/thumbnails.sh
	bench/gallery.sh

clean:
	rm -rf .build var
