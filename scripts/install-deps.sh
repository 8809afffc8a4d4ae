#!/usr/bin/env bash
# Installs the native packages Ferry builds and tests against (Debian).
# Idempotent: does nothing when everything is already there.
set -euo pipefail

packages=(libsqlite3-dev libcurl4-openssl-dev sqlite3 pkg-config gcc make libpq-dev postgresql libcjson-dev poppler-utils)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "Installing: ${missing[*]}"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if ! command -v swift >/dev/null 2>&1; then
    [ -x /opt/swift/usr/bin/swift ] && export PATH="$PATH:/opt/swift/usr/bin"
fi
command -v swift >/dev/null 2>&1 || { echo "error: Swift 6.3 toolchain not found on PATH" >&2; exit 1; }
