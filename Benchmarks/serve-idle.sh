#!/usr/bin/env bash
# Idle cost of `ferry serve`: 20 scheduled pipelines (file → SQLite, every 15 minutes,
# none due during the measurement), the HTTP API listening. Prints resident memory
# after start and the CPU time used while idle.
# Usage: Benchmarks/serve-idle.sh [FERRY_BINARY] [SECONDS]   (default .build/release/ferry, 60)
set -euo pipefail
ferry="$(realpath "${1:-.build/release/ferry}")"
seconds="${2:-60}"
dir="$(mktemp -d /tmp/ferry-serve-idle-XXXXXX)"
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
cd "$dir"
mkdir data && echo '{"id":1}' > data/in.jsonl
{
    echo "state: state.db"
    echo "connections:"
    echo "  input: { plugin: file, config: { path: data/in.jsonl, primary_key: id } }"
    echo "  warehouse: { plugin: sqlite, config: { path: out.db } }"
    echo "pipelines:"
    for i in $(seq 1 20); do
        # Every 15 minutes, first due 5 to 14 minutes from now: none runs while measured.
        echo "  p$i: { source: { connection: input, stream: in }, destination: { connection: warehouse, stream: t$i }, schedule: \"$(( (10#$(date +%M) + 5 + i % 10) % 15 ))-59/15 * * * *\" }"
    done
} > ferry.yaml
FERRY_API_TOKEN=idle-measure "$ferry" serve --config ferry.yaml --listen 127.0.0.1:0 --log-level warning > serve.log 2>&1 &
pid=$!
ticks=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
sleep 3   # let it start; the measurement below is of the idle process
before=$(cpu)
sleep "$seconds"
after=$(cpu)
rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
threads=$(awk '/Threads/ {print $2}' "/proc/$pid/status")
echo "ferry serve, 20 scheduled pipelines, idle for ${seconds}s:"
echo "  RSS $((rss / 1024)) MiB (peak $((hwm / 1024)) MiB), $threads threads"
awk -v t="$((after - before))" -v hz="$ticks" -v s="$seconds" \
    'BEGIN { printf "  CPU %.2f s over %d s (%.3f%% of one core)\n", t / hz, s, 100 * t / hz / s }'
