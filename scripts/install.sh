#!/usr/bin/env bash
# Installs ferry as a server tool under a prefix (default /usr/local):
#   PREFIX/bin/ferry
#   PREFIX/lib/ferry/plugins/libferry-*.so   the first-party plugins (ferry looks in <bin>/../lib/ferry/plugins)
#   PREFIX/share/man/man1/ferry.1            generated from the command definitions
#   PREFIX/share/bash-completion/completions/ferry, PREFIX/share/zsh/site-functions/_ferry,
#   PREFIX/share/fish/vendor_completions.d/ferry.fish
#   PREFIX/share/ferry/ferry.service         a systemd unit example with hardening options
#   PREFIX/share/ferry/sdk/                  the plugin SDK package (PluginAPI/), which
#                                            `ferry plugins new --lang swift` projects depend on
#
# Usage: scripts/install.sh [--prefix DIR] [--configuration release|debug] [--no-build]
#   --no-build installs what an earlier `swift build` of that configuration left in .build/.
# DESTDIR is honoured, for packaging.
set -euo pipefail
cd "$(dirname "$0")/.."

prefix=/usr/local
configuration=release
build=yes
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) prefix="$2"; shift 2 ;;
        --prefix=*) prefix="${1#*=}"; shift ;;
        --configuration) configuration="$2"; shift 2 ;;
        --configuration=*) configuration="${1#*=}"; shift ;;
        --no-build) build=no; shift ;;
        -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "install.sh: unknown argument '$1' (see --help)" >&2; exit 64 ;;
    esac
done
case "$configuration" in release|debug) ;; *) echo "install.sh: --configuration must be release or debug" >&2; exit 64 ;; esac

if [ "$build" = yes ]; then
    source scripts/install-deps.sh
    export PATH="$PATH:/opt/swift/usr/bin"
    swift build -c "$configuration"
fi
built=".build/$configuration"
[ -x "$built/ferry" ] || { echo "install.sh: $built/ferry is missing; build first (or drop --no-build)" >&2; exit 1; }

root="${DESTDIR:-}$prefix"
install -d -m 0755 "$root/bin" "$root/lib/ferry/plugins" "$root/share/man/man1" "$root/share/ferry" \
    "$root/share/bash-completion/completions" "$root/share/zsh/site-functions" "$root/share/fish/vendor_completions.d"
install -m 0755 "$built/ferry" "$root/bin/ferry"
for plugin in "$built"/libferry-*.so; do
    install -m 0644 "$plugin" "$root/lib/ferry/plugins/"
done
python3 scripts/manpage.py "$built/ferry" > "$root/share/man/man1/ferry.1"
chmod 0644 "$root/share/man/man1/ferry.1"
"$built/ferry" --generate-completion-script bash > "$root/share/bash-completion/completions/ferry"
"$built/ferry" --generate-completion-script zsh > "$root/share/zsh/site-functions/_ferry"
"$built/ferry" --generate-completion-script fish > "$root/share/fish/vendor_completions.d/ferry.fish"
# The SDK package as sources, without a build of it: plugin projects build it themselves.
rm -rf "$root/share/ferry/sdk"
install -d -m 0755 "$root/share/ferry/sdk"
tar -C PluginAPI --exclude='.build*' --exclude=Package.resolved --exclude='.swiftpm' -cf - . \
    | tar -C "$root/share/ferry/sdk" --no-same-owner -xf -
chmod -R u=rwX,go=rX "$root/share/ferry/sdk"
sed "s|/usr/local/bin/ferry|$prefix/bin/ferry|" examples/systemd/ferry.service > "$root/share/ferry/ferry.service"
chmod 0644 "$root/share/ferry/ferry.service"

echo "Installed $("$root/bin/ferry" --version | head -1) under $root:"
echo "  $root/bin/ferry"
echo "  $root/lib/ferry/plugins/ ($(ls "$root/lib/ferry/plugins" | wc -l) plugins)"
echo "  $root/share/man/man1/ferry.1, shell completions, $root/share/ferry/ferry.service"
echo "  $root/share/ferry/sdk/ (the plugin SDK package)"
