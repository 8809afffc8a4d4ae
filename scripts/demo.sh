#!/usr/bin/env bash
# The main job on the embedded default: builds Ferry and runs the bundled demo
# pipeline (a JSONL file of orders → SQLite), then shows where the data landed.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/install-deps.sh
export PATH="$PATH:/opt/swift/usr/bin"

echo "==> Building Ferry (host and plugins)"
swift build -c release 2>&1 | grep -E "error|warning: unre|Compiling ferry|Build complete" || true
bin=$(swift build -c release --show-bin-path)

demo=examples/demo
rm -rf "$demo/out"
echo "==> ferry plugins"
"$bin/ferry" plugins --config "$demo/ferry.yaml"
echo
echo "==> ferry run (first run: every record is new)"
status=0
"$bin/ferry" run --config "$demo/ferry.yaml" || status=$?
echo
echo "==> ferry run again (nothing changed: every record is skipped as unchanged)"
"$bin/ferry" run --config "$demo/ferry.yaml" || true
echo
echo "==> ferry errors list (records the transforms rejected, kept for replay)"
"$bin/ferry" errors list --config "$demo/ferry.yaml"
echo
echo "==> The data in $demo/out/warehouse.db"
sqlite3 -header -column "$demo/out/warehouse.db" \
    "SELECT COUNT(*) AS orders, SUM(total_cents) AS revenue_cents, MIN(ordered_at) AS first, MAX(ordered_at) AS last FROM orders;"
sqlite3 -header -column "$demo/out/warehouse.db" \
    "SELECT order_id, customer_name, city, status, total_cents, ordered_at FROM orders ORDER BY order_id LIMIT 5;"
echo
echo "State database: $demo/out/ferry-state.db (ferry status --config $demo/ferry.yaml)"
# 3 means "finished with dead letters", which this demo data includes on purpose.
[ "$status" -eq 0 ] || [ "$status" -eq 3 ]
