#!/usr/bin/env bash
# A throw-away PostgreSQL server for the tests, from Debian's own binaries:
#
#   eval "$(scripts/postgres-test-server.sh start)"   # initialise, start, print the exports
#   scripts/postgres-test-server.sh env               # print the exports of the running server
#   scripts/postgres-test-server.sh stop              # stop it and delete its files
#
# The cluster lives in $FERRY_PG_DIR (default /tmp/ferry-pg-test), listens on
# 127.0.0.1 only, on the first free port from 54320, with trust authentication
# (loopback only) and fsync off: test data, not kept. PostgreSQL refuses to run
# as root, so as root the server runs as the system user `ferrytest`, created
# when missing. stdout carries only `export FERRY_TEST_PG_DSN=...`; progress
# goes to stderr.
set -euo pipefail

dir="${FERRY_PG_DIR:-/tmp/ferry-pg-test}"
data="$dir/data"
user="ferrytest"
database="ferry_test"

bin=""
for candidate in /usr/lib/postgresql/*/bin; do
    [ -x "$candidate/initdb" ] && bin="$candidate"
done
if [ -z "$bin" ]; then
    echo "error: PostgreSQL server binaries not found (apt-get install postgresql; scripts/install-deps.sh does it)" >&2
    exit 1
fi

# Runs a command as the server's user (ourselves unless we are root).
as_server() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u "$user" -- "$@"
    else
        "$@"
    fi
}

print_env() {
    local port
    port="$(cat "$dir/port")"
    echo "export FERRY_TEST_PG_DSN='postgresql://postgres@127.0.0.1:$port/$database'"
}

running() {
    [ -f "$dir/port" ] && [ -f "$data/postmaster.pid" ] && as_server "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1
}

start() {
    if running; then
        print_env
        return
    fi
    if [ "$(id -u)" -eq 0 ] && ! id "$user" >/dev/null 2>&1; then
        useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
    fi
    rm -rf "$data"
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown "$user" "$dir"
    chmod 700 "$dir"
    as_server "$bin/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    # The first free port from 54320; another run may take it between the
    # check and the bind, so a failed start tries the next one.
    local port=54320 attempt
    for attempt in 1 2 3 4 5; do
        while (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
        echo "$port" >"$dir/port"
        if as_server "$bin/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 \
            -o "-h 127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
            start >&2; then
            break
        fi
        [ "$attempt" -eq 5 ] && { cat "$dir/server.log" >&2; exit 1; }
        port=$((port + 1))
    done
    as_server "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres "$database"
    echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port, data in $data" >&2
    print_env
}

stop() {
    if [ -f "$data/postmaster.pid" ]; then
        as_server "$bin/pg_ctl" -D "$data" -m fast -w stop >&2 || true
    fi
    rm -rf "$dir"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    env)
        running || { echo "error: no test server running in $dir (run: $0 start)" >&2; exit 1; }
        print_env
        ;;
    *) echo "usage: $0 start|stop|env" >&2; exit 2 ;;
esac
