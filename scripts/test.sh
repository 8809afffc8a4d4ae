#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds host and plugins, runs
# every test (unit, integration against real plugins and SQLite, end to end).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/install-deps.sh
export PATH="$PATH:/opt/swift/usr/bin"

swift build --build-tests

# Headless Chromium (Debian's package) for the dashboard's browser test; its
# screenshots are left in .build/debug/screenshots (or $FERRY_SCREENSHOTS).
if ! dpkg-query -W -f='${Status}' chromium 2>/dev/null | grep -q "install ok installed"; then
    echo "Installing: chromium"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

# A real PostgreSQL for the postgres connector's tests, in its own temporary
# folder (so parallel runs do not share one), stopped whatever happens.
export FERRY_PG_DIR="$(mktemp -d /tmp/ferry-pg-XXXXXX)"
# The same for InfluxDB 1.x (Debian's influxdb, installed by the script when missing).
export FERRY_INFLUX_DIR="$(mktemp -d /tmp/ferry-influx-XXXXXX)"
trap 'scripts/postgres-test-server.sh stop || true; scripts/influxdb-test-server.sh stop || true' EXIT
eval "$(scripts/postgres-test-server.sh start)"
export FERRY_TEST_PG_DSN
eval "$(scripts/influxdb-test-server.sh start)"
export FERRY_TEST_INFLUX_URL

swift test --skip-build
