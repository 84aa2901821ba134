#!/usr/bin/env bash
# A PostgreSQL server for team mode in one command: TLS only, SCRAM passwords.
#
#   packaging/team-server.sh start DIR [PORT]   make (or reuse) the cluster in DIR and start it
#                                               (PORT: default the one it had, else 54320)
#   packaging/team-server.sh stop DIR [MODE]    stop it (pg_ctl stop -m fast; tests may ask for
#                                               -m immediate, a crash that start recovers from)
#
# start prints shell lines on stdout, so that
#     eval "$(packaging/team-server.sh start ~/dd-server)"
# sets DD_PG_HOST, DD_PG_PORT, DD_PG_ADMIN, DD_PG_ADMIN_PASSWORD_FILE and DD_PG_CA, and
# one human line on stderr with the address to give `deterrence-desktop server init`.
#
# What DIR holds: ca.key/ca.crt (a certificate authority made for this server; give ca.crt
# to every client), server.key/server.crt (signed by it, for localhost and 127.0.0.1),
# admin-password (the superuser "postgres", random, mode 0600), data/ (the cluster) and
# server.log. The server accepts only TLS connections on 127.0.0.1 with a SCRAM-SHA-256
# password, plus the admin on the Unix socket in DIR. A new cluster has an empty
# database `deterrence`, ready for `deterrence-desktop server init`.
#
# For a test cluster, DD_PG_FAST=1 turns fsync off (the data does not survive a crash
# of the machine). Run as root, the server runs as the `postgres` user, and DIR must
# be reachable by that user (e.g. under /tmp or /srv, not under /root). PostgreSQL's
# binaries are found in $DD_PG_BIN, /usr/lib/postgresql/<newest>/bin or on PATH.
set -euo pipefail

usage() {
    echo "usage: $0 start DIR [PORT] | stop DIR [fast|immediate|smart]" >&2
    exit 2
}

fail() {
    echo "team-server: $*" >&2
    exit 1
}

find_bin() {
    if [ -n "${DD_PG_BIN:-}" ]; then
        echo "$DD_PG_BIN"; return
    fi
    local newest
    newest=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -n "$newest" ] && [ -x "$newest/initdb" ]; then
        echo "$newest"; return
    fi
    if command -v initdb >/dev/null 2>&1; then
        dirname "$(command -v initdb)"; return
    fi
    fail "PostgreSQL is not installed (on Debian: apt-get install postgresql), or set DD_PG_BIN"
}

# Run a command as the server's user: `postgres` when we are root (initdb refuses root),
# else ourselves.
as_server() {
    if [ "$(id -u)" -eq 0 ]; then
        su postgres -s /bin/bash -c "$(printf '%q ' "$@")"
    else
        "$@"
    fi
}

# Run a command with its output shown only when it fails.
quietly() {
    local out
    out=$("$@" 2>&1) || { printf '%s\n' "$out" >&2; fail "$1 failed (its output is above)"; }
}

running() {
    as_server "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

[ $# -ge 2 ] || usage
cmd=$1
case "$cmd" in start|stop) ;; *) usage ;; esac
[ -n "$2" ] || usage
[ "$cmd" = stop ] || mkdir -p "$2"
[ -d "$2" ] || { echo "team-server: no server in $2" >&2; exit 0; }
DIR=$(cd "$2" && pwd)
DATA=$DIR/data
BIN=$(find_bin)
[ -x "$BIN/pg_ctl" ] || fail "no PostgreSQL binaries in $BIN (on Debian: apt-get install postgresql; or set DD_PG_BIN)"

case "$cmd" in
stop)
    [ $# -le 3 ] || usage
    mode=${3:-fast}
    case "$mode" in fast|immediate|smart) ;; *) usage ;; esac
    if [ -f "$DATA/PG_VERSION" ] && running; then
        as_server "$BIN/pg_ctl" -D "$DATA" stop -m "$mode" -s
        echo "team-server: stopped the server in $DIR ($mode)" >&2
    else
        echo "team-server: no server running in $DIR" >&2
    fi
    ;;
start)
    [ $# -le 3 ] || usage
    started=$EPOCHREALTIME
    port=${3:-}
    if [ -z "$port" ]; then
        port=$(cat "$DIR/port" 2>/dev/null || echo 54320)
    fi
    case "$port" in
        ''|*[!0-9]*) fail "the port must be a number, not '$port'" ;;
    esac
    command -v openssl >/dev/null 2>&1 || fail "openssl is not installed (on Debian: apt-get install openssl)"
    umask 077
    server_user=$(id -un)
    if [ "$(id -u)" -eq 0 ]; then
        server_user=postgres
        su postgres -s /bin/bash -c "test -x $(printf '%q' "$(dirname "$DIR")")" \
            || fail "the postgres user cannot reach $DIR: choose a folder it can enter (e.g. under /tmp or /srv)"
        chown postgres:postgres "$DIR"
    fi
    chmod 0700 "$DIR"

    if [ -f "$DATA/PG_VERSION" ] && running; then
        [ "$(cat "$DIR/port")" = "$port" ] \
            || fail "the server in $DIR is already running on port $(cat "$DIR/port"); stop it first"
        reused="already running"
    else
        if [ ! -f "$DATA/PG_VERSION" ]; then
            # The certificate authority and the server's certificate (for both names a
            # client on this machine may use).
            quietly openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
                -keyout "$DIR/ca.key" -out "$DIR/ca.crt" -days 825 -sha256 \
                -subj "/CN=Deterrence Desktop team server CA" \
                -addext "basicConstraints=critical,CA:TRUE" \
                -addext "keyUsage=critical,keyCertSign,cRLSign"
            quietly openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
                -keyout "$DIR/server.key" -out "$DIR/server.csr" -subj "/CN=localhost"
            printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" "basicConstraints=CA:FALSE" \
                "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" \
                >"$DIR/server.ext"
            quietly openssl x509 -req -in "$DIR/server.csr" -CA "$DIR/ca.crt" -CAkey "$DIR/ca.key" \
                -set_serial "0x$(openssl rand -hex 16)" -days 825 -sha256 \
                -extfile "$DIR/server.ext" -out "$DIR/server.crt"
            rm -f "$DIR/server.csr" "$DIR/server.ext"
            chmod 0644 "$DIR/ca.crt" "$DIR/server.crt"
            chmod 0600 "$DIR/ca.key" "$DIR/server.key"
            chown "$server_user" "$DIR/server.key" "$DIR/server.crt"

            # The administrator's password: random, readable only by whoever ran this.
            openssl rand -hex 24 >"$DIR/admin-password"
            chmod 0600 "$DIR/admin-password"
            pwfile=$DIR/.initdb-password
            cp "$DIR/admin-password" "$pwfile"
            chown "$server_user" "$pwfile"
            nosync=()
            [ "${DD_PG_FAST:-}" = 1 ] && nosync=(--no-sync)
            if ! as_server "$BIN/initdb" -D "$DATA" -U postgres -E UTF8 --locale=C.UTF-8 \
                    -A scram-sha-256 --pwfile="$pwfile" "${nosync[@]}" >"$DIR/initdb.log" 2>&1; then
                rm -rf "$pwfile" "$DATA"
                cat "$DIR/initdb.log" >&2
                fail "initdb failed (the log is above)"
            fi
            rm -f "$pwfile" "$DIR/initdb.log"

            # Only TLS with a SCRAM password from this machine; the admin also on the
            # Unix socket in DIR. No plain `host` line: a connection without TLS is refused.
            cat >"$DATA/pg_hba.conf" <<'EOF'
# Deterrence Desktop team server (packaging/team-server.sh): TLS and SCRAM only.
# TYPE   DATABASE  USER      ADDRESS        METHOD
local    all       postgres                 scram-sha-256
hostssl  all       all       127.0.0.1/32   scram-sha-256
hostssl  all       all       ::1/128        scram-sha-256
EOF
            chown "$server_user" "$DATA/pg_hba.conf"
            chmod 0600 "$DATA/pg_hba.conf"
            echo "include_if_exists = 'team-server.conf'" >>"$DATA/postgresql.conf"
            reused="new cluster"
        else
            reused="existing cluster"
        fi

        # Written on every start: the port may change, DD_PG_FAST may be set or not.
        {
            echo "# Written by packaging/team-server.sh on each start; edit that script, not this file."
            echo "listen_addresses = '127.0.0.1'"
            echo "port = $port"
            echo "unix_socket_directories = '$DIR'"
            echo "ssl = on"
            echo "ssl_cert_file = '$DIR/server.crt'"
            echo "ssl_key_file = '$DIR/server.key'"
            echo "ssl_ca_file = '$DIR/ca.crt'"
            echo "ssl_min_protocol_version = 'TLSv1.2'"
            echo "password_encryption = 'scram-sha-256'"
            if [ "${DD_PG_FAST:-}" = 1 ]; then
                # A crash of the server keeps every commit (the WAL is written); a crash of
                # the machine may not. synchronous_commit stays on: the load-and-fault test
                # kills the server and counts the accepted writes.
                echo "# DD_PG_FAST=1: a test cluster; its data does not survive a crash of the machine."
                echo "fsync = off"
            fi
        } >"$DATA/team-server.conf"
        chown "$server_user" "$DATA/team-server.conf"
        echo "$port" >"$DIR/port"

        touch "$DIR/server.log"
        chown "$server_user" "$DIR/server.log"
        if ! as_server "$BIN/pg_ctl" -D "$DATA" -l "$DIR/server.log" -w -t 60 -s start; then
            tail -n 20 "$DIR/server.log" >&2
            fail "the server did not start (the end of $DIR/server.log is above)"
        fi
        if [ "$reused" = "new cluster" ]; then
            # An empty database for `deterrence-desktop server init`, over the admin socket.
            PGPASSWORD=$(cat "$DIR/admin-password") "$BIN/psql" -X -q -v ON_ERROR_STOP=1 \
                -h "$DIR" -p "$port" -U postgres -d postgres -c "CREATE DATABASE deterrence" \
                || fail "could not create the database deterrence"
        fi
    fi

    printf 'export DD_PG_HOST=127.0.0.1\n'
    printf 'export DD_PG_PORT=%s\n' "$port"
    printf 'export DD_PG_ADMIN=postgres\n'
    printf 'export DD_PG_ADMIN_PASSWORD_FILE=%q\n' "$DIR/admin-password"
    printf 'export DD_PG_CA=%q\n' "$DIR/ca.crt"
    elapsed=$(awk -v a="$started" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
    printf 'team-server: up (%s, %s s): postgresql://postgres@127.0.0.1:%s/postgres?sslrootcert=%s (admin password in %s)\n' \
        "$reused" "$elapsed" "$port" "$DIR/ca.crt" "$DIR/admin-password" >&2
    ;;
*)
    usage
    ;;
esac
