#!/usr/bin/env bash
# The Lua side of the transform-language comparison in docs/transforms.md: builds
# bench.c against Debian's Lua 5.4 and cJSON (installed here, for this benchmark only;
# Ferry itself does not link Lua) and runs it. Compare with `ferry-bench transform`.
#   bash Benchmarks/lua-transform/run.sh [records]
set -euo pipefail
cd "$(dirname "$0")"
missing=()
for package in liblua5.4-dev libcjson-dev; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
build="$(mktemp -d)"
trap 'rm -rf "$build"' EXIT
cc -O2 -o "$build/lua-transform" bench.c $(pkg-config --cflags --libs lua5.4 libcjson) -lm
"$build/lua-transform" transform.lua "${1:-1000000}"
