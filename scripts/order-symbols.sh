#!/usr/bin/env bash
# Writes Host/ferry/symbol-order.txt, Plugins/rest/symbol-order.txt and
# Plugins/sqlite/symbol-order.txt: the functions of `ferry` and of the two connectors that a
# REST → SQLite run executes, hottest first, which the release link lays out together at the
# start of each one's `.text` (Package.swift, `ordersSymbols(by:)`). Run it after a change that
# moves much of the run's code; a stale list costs resident memory, never correctness.
#
#   scripts/order-symbols.sh [RECORDS]    (default 120000: more than one commit group)
#
# It profiles a first load, an incremental run with 1% changed and a run with nothing changed
# under `valgrind --tool=callgrind` (about 3.5 minutes), against Benchmarks/rest-simulator.py.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"
records="${1:-120000}"
command -v valgrind >/dev/null || apt-get install -y -q valgrind >/dev/null

swift build -c release 2>&1 | grep -E "error|Build complete" || true
bin=$(swift build -c release --show-bin-path)
work=$(mktemp -d)
simulator=""
trap '[ -n "$simulator" ] && kill "$simulator" 2>/dev/null; rm -rf "$work"' EXIT

# valgrind 3.19 cannot read the DWARF 5 the toolchain writes: profile a copy without it.
mkdir "$work/bin"
cp "$bin/ferry" "$bin"/libferry-*.so "$work/bin/"
for file in "$work"/bin/*; do objcopy --strip-debug "$file"; done

python3 Benchmarks/rest-simulator.py "$records" > "$work/port" 2> "$work/simulator.log" &
simulator=$!
until [ -s "$work/port" ]; do sleep 1; done
port=$(head -1 "$work/port")
cat > "$work/ferry.yaml" <<YAML
state: $work/state.db
connections:
  api:
    plugin: rest
    http: { endpoint: "http://127.0.0.1:$port" }
    config:
      streams:
        - name: items
          path: items
          records_path: data
          primary_key: id
          cursor_field: updated_at
          cursor_param: updated_since
          pagination: { type: page, size_param: per_page, page_size: 1000 }
  warehouse: { plugin: sqlite, config: { path: $work/out.db } }
pipelines:
  items:
    source: { connection: api, stream: items }
    destination: { connection: warehouse, stream: items }
    write: upsert
YAML

profile() {
    echo "==> callgrind: ferry $*"
    valgrind --tool=callgrind --demangle=no --callgrind-out-file="$work/callgrind.$((++runs))" \
        "$work/bin/ferry" "$@" > /dev/null 2> "$work/valgrind.log" \
        || { tail -20 "$work/valgrind.log"; exit 1; }
}
runs=0
profile run --config "$work/ferry.yaml"
curl -sf -X POST "http://127.0.0.1:$port/touch?count=$((records / 100))" > /dev/null
profile run --config "$work/ferry.yaml" --log-level warning
profile run --config "$work/ferry.yaml" --log-level warning

write_order() { # BINARY LIST
    python3 scripts/order-symbols.py "$work/bin/$1" "$work"/callgrind.* > "$2"
    echo "$2: $(wc -l < "$2") functions"
}
write_order ferry Host/ferry/symbol-order.txt
write_order libferry-rest.so Plugins/rest/symbol-order.txt
write_order libferry-sqlite.so Plugins/sqlite/symbol-order.txt

# SwiftPM does not know the links read these files: link again with the new order (the debug
# build's files are removed too, so that its next build links them again; SymbolOrderTests reads it).
debug=$(swift build --show-bin-path)
for folder in "$bin" "$debug"; do rm -f "$folder/ferry" "$folder/libferry-rest.so" "$folder/libferry-sqlite.so"; done
swift build -c release 2>&1 | grep -E "error|Build complete" || true
