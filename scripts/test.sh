#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds host and plugins, runs
# every test (unit, integration against real plugins and SQLite, end to end).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/install-deps.sh
export PATH="$PATH:/opt/swift/usr/bin"

swift build --build-tests
swift test --skip-build
