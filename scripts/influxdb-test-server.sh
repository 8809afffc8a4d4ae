#!/usr/bin/env bash
# Throw-away InfluxDB 1.x servers for the tests, from Debian's `influxdb` package:
#
#   eval "$(scripts/influxdb-test-server.sh start)"   # install if missing, start, print the exports
#   scripts/influxdb-test-server.sh env               # print the exports of the running servers
#   scripts/influxdb-test-server.sh stop              # stop them and delete their files
#
# Two servers, each in a folder of $FERRY_INFLUX_DIR (default /tmp/ferry-influx-test)
# holding its config, meta, data and WAL folders, log and pid:
#   open/  no authentication             → FERRY_TEST_INFLUX_URL
#   auth/  auth-enabled, one admin user  → FERRY_TEST_INFLUX_AUTH_URL, _USER, _PASSWORD
# Both listen on 127.0.0.1 only, on the first free ports from 18086 (HTTP, then the
# RPC bind), with usage reporting and self-monitoring off: test data, not kept.
# stdout carries only the `export` lines; progress goes to stderr.
set -euo pipefail

dir="${FERRY_INFLUX_DIR:-/tmp/ferry-influx-test}"
admin_user="ferry"
admin_password="ferry-test-password"

install_if_missing() {
    command -v influxd >/dev/null 2>&1 && return
    echo "Installing Debian's influxdb package" >&2
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq >&2
    # The package's own service is not used (and not started without systemd): we run our own influxd.
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq influxdb >/dev/null
}

print_env() {
    echo "export FERRY_TEST_INFLUX_URL='http://127.0.0.1:$(cat "$dir/open/port")'"
    echo "export FERRY_TEST_INFLUX_AUTH_URL='http://127.0.0.1:$(cat "$dir/auth/port")'"
    echo "export FERRY_TEST_INFLUX_AUTH_USER='$admin_user'"
    echo "export FERRY_TEST_INFLUX_AUTH_PASSWORD='$admin_password'"
}

running() {
    local name
    for name in open auth; do
        [ -f "$dir/$name/pid" ] && [ -f "$dir/$name/port" ] && kill -0 "$(cat "$dir/$name/pid")" 2>/dev/null || return 1
    done
}

free_port() {
    local port=$1
    while (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
    echo "$port"
}

# Sends one HTTP/1.0 request with bash's /dev/tcp (no curl needed); prints the status line.
request() {
    (
        exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
        printf '%s HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n' "$2" >&3
        IFS= read -r line <&3
        echo "$line"
    ) 2>/dev/null
}

# Starts one influxd in $dir/$1 with auth-enabled = $2; waits for /ping.
launch() {
    local name=$1 auth=$2 home="$dir/$1" port rpc
    mkdir -p "$home/meta" "$home/data" "$home/wal"
    port="$(free_port "${3:-18086}")"
    rpc="$(free_port $((port + 1)))"
    cat >"$home/influxdb.conf" <<EOF
reporting-disabled = true
bind-address = "127.0.0.1:$rpc"

[meta]
  dir = "$home/meta"

[data]
  dir = "$home/data"
  wal-dir = "$home/wal"
  query-log-enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:$port"
  auth-enabled = $auth
  log-enabled = false

[monitor]
  store-enabled = false

[subscriber]
  enabled = false

[logging]
  level = "warn"
EOF
    echo "$port" >"$home/port"
    influxd -config "$home/influxdb.conf" >"$home/server.log" 2>&1 &
    echo $! >"$home/pid"
    local tries=0
    until [[ "$(request "$port" "GET /ping")" == *" 204 "* ]]; do
        tries=$((tries + 1))
        if [ $tries -gt 300 ] || ! kill -0 "$(cat "$home/pid")" 2>/dev/null; then
            echo "error: influxd ($name) did not answer /ping on 127.0.0.1:$port" >&2
            cat "$home/server.log" >&2
            exit 1
        fi
        sleep 0.1
    done
    echo "InfluxDB $(influxd version 2>/dev/null | awk '{print $2}') ($name) on 127.0.0.1:$port, data in $home" >&2
}

start() {
    if running; then
        print_env
        return
    fi
    install_if_missing
    stop_servers
    mkdir -p "$dir"
    chmod 700 "$dir"
    launch open false
    launch auth true $(($(cat "$dir/open/port") + 2))
    # With no user yet, InfluxDB accepts exactly this statement without credentials.
    local query="q=CREATE+USER+%22$admin_user%22+WITH+PASSWORD+%27$admin_password%27+WITH+ALL+PRIVILEGES"
    [[ "$(request "$(cat "$dir/auth/port")" "POST /query?$query")" == *" 200 "* ]] \
        || { echo "error: could not create the admin user on the auth server" >&2; exit 1; }
    print_env
}

stop_servers() {
    local name pid
    for name in open auth; do
        [ -f "$dir/$name/pid" ] || continue
        pid="$(cat "$dir/$name/pid")"
        if kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
            for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -9 "$pid" 2>/dev/null || true
        fi
    done
    rm -rf "$dir"
}

case "${1:-}" in
    start) start ;;
    stop) stop_servers ;;
    env)
        running || { echo "error: no test servers running in $dir (run: $0 start)" >&2; exit 1; }
        print_env
        ;;
    *) echo "usage: $0 start|stop|env" >&2; exit 2 ;;
esac
