#!/usr/bin/env bash
# Regenerates docs/connectors/NAME.md for every first-party connector from its key table
# (`ferry plugins info NAME --markdown`). Run it after changing a connector's keys and commit
# the result; the test ConnectorDocsTests fails while a page differs from what this writes.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"
if [ "${1:-}" != "--no-build" ]; then swift build --product ferry >/dev/null; fi
ferry="$(swift build --show-bin-path)/ferry"
mkdir -p docs/connectors
# Every connector with a folder under Plugins/; cdemo is the C reference plugin, documented in its own README.
for folder in Plugins/*/; do
    name="$(basename "$folder")"
    [ "$name" = "cdemo" ] && continue
    "$ferry" plugins info "$name" --markdown >"docs/connectors/$name.md"
    echo "docs/connectors/$name.md"
done
