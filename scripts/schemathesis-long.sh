#!/usr/bin/env bash
# A longer contract run than `make test`'s: Schemathesis with many more generated requests per
# operation (default 300; the first argument sets it) against a fresh stack, all checks, all
# phases. Needs what `make test` installs (scripts/install-test-deps.sh) and a debug build.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --build-tests
PICTOR_SCHEMATHESIS_EXAMPLES=${1:-300} PICTOR_BIN=$(swift build --show-bin-path)/pictor \
  swift test --skip-build --disable-swift-testing --filter SchemathesisTests
