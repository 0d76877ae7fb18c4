# Operations parts of the local stack: the codec server the Web UI decodes payloads through, the local
# Prometheus scraping the API and worker, and the tools the operations tests need (promtool, Chromium).
# Sourced by stack.sh after lib.sh.
# shellcheck shell=bash

PROMETHEUS_APT_PACKAGE="prometheus"     # Debian bookworm's Prometheus 2.42 (with promtool)
CHROMIUM_APT_PACKAGE="chromium"         # Debian's Chromium, only for the Web UI browser test

# ops_ports OFFSET: the ports of the operations parts, shifted like every other port.
ops_ports() {
  local offset="$1"
  CODEC_SERVER_PORT=$((8089 + offset))
  PROMETHEUS_PORT=$((9090 + offset))
  API_METRICS_PORT=$((9461 + offset))
  WORKER_METRICS_PORT=$((9462 + offset))
  TEMPORAL_METRICS_PORT=$((9463 + offset))
  export CODEC_SERVER_PORT API_METRICS_PORT WORKER_METRICS_PORT TEMPORAL_METRICS_PORT
}

# The ops token of the local codec server: CODEC_SERVER_TOKEN if set, else one made once per checkout
# and kept (readable by its owner only) in .data/codec-server-token.
ensure_codec_token() {
  if [ -z "${CODEC_SERVER_TOKEN:-}" ]; then
    local file="$DATA_DIR/codec-server-token"
    if [ ! -s "$file" ]; then
      (umask 077 && od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$file")
    fi
    CODEC_SERVER_TOKEN="$(cat "$file")"
  fi
  export CODEC_SERVER_TOKEN
}

# start_codec_server UI_ORIGIN: the codec server (codec-server/main.ts) for the Web UI at UI_ORIGIN.
start_codec_server() {
  local origin="$1"
  if port_open "$CODEC_SERVER_PORT"; then log "codec server already running on port $CODEC_SERVER_PORT, reusing it"; return 0; fi
  pushd "$ROOT" >/dev/null
  spawn "codec server :$CODEC_SERVER_PORT" "$DATA_DIR/logs/codec-server.log" env CODEC_SERVER_ALLOWED_ORIGINS="$origin" \
    node --import tsx codec-server/main.ts
  popd >/dev/null
  wait_port "$CODEC_SERVER_PORT" "codec server" 30 "$DATA_DIR/logs/codec-server.log"
}

ensure_prometheus() {
  PROMETHEUS="$(command -v prometheus || true)"; PROMTOOL="$(command -v promtool || true)"
  if [ -n "$PROMETHEUS" ] && [ -n "$PROMTOOL" ]; then export PROMTOOL; return 0; fi
  log "installing Prometheus ($PROMETHEUS_APT_PACKAGE, Debian)"
  apt_install "$PROMETHEUS_APT_PACKAGE" || die "Prometheus is missing. Install it (Debian/Ubuntu: sudo apt-get install $PROMETHEUS_APT_PACKAGE;
    macOS: brew install prometheus), which also brings promtool."
  PROMETHEUS="$(command -v prometheus)"; PROMTOOL="$(command -v promtool)"
  export PROMTOOL
}

ensure_chromium() {
  CHROMIUM_PATH="$(command -v chromium || command -v chromium-browser || true)"
  if [ -z "$CHROMIUM_PATH" ]; then
    log "installing Chromium ($CHROMIUM_APT_PACKAGE, Debian) for the Web UI browser test"
    apt_install "$CHROMIUM_APT_PACKAGE" || die "Chromium is missing; the Web UI browser test needs it. Install it
    (Debian/Ubuntu: sudo apt-get install $CHROMIUM_APT_PACKAGE) or set CHROMIUM_PATH to a Chromium or Chrome binary."
    CHROMIUM_PATH="$(command -v chromium)"
  fi
  export CHROMIUM_PATH
}

# start_prometheus: a local Prometheus scraping the API, the worker and the worker's SDK metrics, with
# Poolflow's alert rules (ops/prometheus/), its data in .data/prometheus.
start_prometheus() {
  if port_open "$PROMETHEUS_PORT"; then log "Prometheus already running on port $PROMETHEUS_PORT, reusing it"; return 0; fi
  ensure_prometheus
  local dir="$DATA_DIR/prometheus" config="$DATA_DIR/prometheus/prometheus.yml"
  mkdir -p "$dir"
  cat >"$config" <<YAML
# Written by scripts/operations.sh for the local stack; compose uses ops/prometheus/prometheus.yml.
global: { scrape_interval: 15s, evaluation_interval: 15s }
rule_files: ["$ROOT/ops/prometheus/alerts.yml"]
scrape_configs:
  - job_name: poolflow-api
    static_configs: [{ targets: ["127.0.0.1:$API_METRICS_PORT"] }]
  - job_name: poolflow-worker
    static_configs: [{ targets: ["127.0.0.1:$WORKER_METRICS_PORT"] }]
  - job_name: poolflow-worker-sdk
    static_configs: [{ targets: ["127.0.0.1:$TEMPORAL_METRICS_PORT"] }]
YAML
  spawn "Prometheus :$PROMETHEUS_PORT" "$DATA_DIR/logs/prometheus.log" "$PROMETHEUS" --config.file="$config" \
    --storage.tsdb.path="$dir/data" --web.listen-address="127.0.0.1:$PROMETHEUS_PORT"
  wait_port "$PROMETHEUS_PORT" Prometheus 30 "$DATA_DIR/logs/prometheus.log"
  PROMETHEUS_URL="http://127.0.0.1:$PROMETHEUS_PORT"
}
