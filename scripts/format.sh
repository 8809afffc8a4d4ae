#!/usr/bin/env bash
# Formats the Swift sources with swift-format (part of the Swift toolchain) and the
# rules in .swift-format. `scripts/format.sh --check` changes nothing and fails when a
# file is not formatted (CI runs it).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"
folders=(Package.swift Host PluginAPI Plugins Tests Benchmarks)
if [ "${1:-}" = "--check" ]; then
    # lint reports every line the formatter would change; --strict makes that an error.
    swift format lint --strict --recursive --parallel "${folders[@]}"
else
    swift format format --in-place --recursive --parallel "${folders[@]}"
fi
